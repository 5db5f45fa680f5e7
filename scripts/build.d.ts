// Types of scripts/build.js, for the tests (the script is plain JavaScript: it runs before tsc).
export declare const STAMP: string;
export declare function sourceFingerprint(root: string): string;
export declare function buildIsStale(root: string): boolean;
export declare function buildAndStamp(root: string, compile: () => number): number;
