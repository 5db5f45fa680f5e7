import t from 'tap';
import fc from 'fast-check';
import {
  canonicalCode,
  digitalLinkPath,
  digitalLinkUri,
  gs1CheckDigit,
  lotOf,
  parseCode,
  type Gs1Code,
  type ObjectCode,
} from '../../src/core/codes.js';
import { isLedgerError } from '../../src/core/errors.js';

const ID = 'https://id.gs1.org';

function gs1(input: string): Gs1Code {
  const c = parseCode(input);
  if (c.kind !== 'gs1') throw new Error(`${input} parsed as ${c.kind}`);
  return c;
}

t.test('gs1CheckDigit: GS1 example keys', async (t) => {
  // Bodies of keys printed in the GS1 Digital Link standard and GenSpecs examples.
  t.equal(gs1CheckDigit('0950600013435'), 2, 'GTIN-14 09506000134352');
  t.equal(gs1CheckDigit('950600013435'), 2, 'GTIN-13 9506000134352');
  t.equal(gs1CheckDigit('0952012345678'), 8, 'GTIN-14 09520123456788');
  t.equal(gs1CheckDigit('952012345678'), 8, 'GLN 9520123456788');
  t.equal(gs1CheckDigit('10614141234567890'), 8, 'SSCC 106141412345678908');
  t.equal(gs1CheckDigit('9501234'), 6, 'GTIN-8 95012346');
  t.equal(gs1CheckDigit('03600029145'), 2, 'GTIN-12 036000291452');
  t.equal(gs1CheckDigit('0'), 0);
  t.throws(() => gs1CheckDigit(''), RangeError);
  t.throws(() => gs1CheckDigit('12a'), RangeError);
  t.throws(() => gs1CheckDigit('1'.repeat(18)), RangeError);
  t.throws(() => gs1CheckDigit(123 as unknown as string), TypeError);
});

t.test('gs1CheckDigit: weighted sum of the full key is a multiple of 10', async (t) => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9]{1,17}$/), (body) => {
      const full = body + String(gs1CheckDigit(body));
      // Independent formulation: weights 1, 3, 1, ... from the right, check digit included.
      let sum = 0;
      [...full].reverse().forEach((d, i) => (sum += Number(d) * (i % 2 === 0 ? 1 : 3)));
      return sum % 10 === 0;
    }),
  );
  t.pass();
});

// [input, canonical, expected fields]
const VALID: Array<[string, string, Record<string, unknown>]> = [
  // GS1 Digital Link standard / GS1 resolver documentation examples
  [`${ID}/01/09506000134352`, `${ID}/01/09506000134352`, { key: '01', value: '09506000134352' }],
  ['https://example.com/01/09506000134352/10/ABC%2F123', `${ID}/01/09506000134352/10/ABC%2F123`, { lot: 'ABC/123' }],
  [`${ID}/01/9506000134352/10/ABC/21/12345`, `${ID}/01/09506000134352/10/ABC/21/12345`, { value: '09506000134352', lot: 'ABC', serial: '12345' }],
  [
    'https://example.com/my/custom/stem/01/09506000134352/21/12345?17=261231',
    `${ID}/01/09506000134352/21/12345`,
    { serial: '12345', attributes: { '17': '261231' } },
  ],
  ['/00/106141412345678908', `${ID}/00/106141412345678908`, { key: '00', value: '106141412345678908' }],
  ['/414/9520123456788/254/32a%2Fb', `${ID}/414/9520123456788/254/32a%2Fb`, { key: '414', glnExtension: '32a/b' }],
  [
    `${ID}/01/09520123456788/22/2A/10/ABC1/21/12345?17=180426`,
    `${ID}/01/09520123456788/22/2A/10/ABC1/21/12345`,
    { cpv: '2A', lot: 'ABC1', serial: '12345', attributes: { '17': '180426' } },
  ],
  [`${ID}/01/09521234543213/10/ABC123?17=261231`, `${ID}/01/09521234543213/10/ABC123`, { lot: 'ABC123' }],
  [`${ID}/00/106141411234567897`, `${ID}/00/106141411234567897`, { key: '00' }],
  ['https://example.com/products/01/09521234543213', `${ID}/01/09521234543213`, { attributes: {} }],
  [`${ID}/414/9520123456788`, `${ID}/414/9520123456788`, { key: '414', value: '9520123456788' }],
  // GTIN-8 and GTIN-12 are padded to 14 digits
  ['https://example.com/01/95012346', `${ID}/01/00000095012346`, { value: '00000095012346' }],
  ['/01/036000291452', `${ID}/01/00036000291452`, { value: '00036000291452' }],
  // spelling variants: scheme/host case, port, IPv6, trailing slash, hex case, over-encoding
  ['HTTP://EXAMPLE.COM/01/09506000134352', `${ID}/01/09506000134352`, {}],
  [`${ID}/01/09506000134352/`, `${ID}/01/09506000134352`, {}],
  ['http://localhost:3000/01/09506000134352/10/L1', `${ID}/01/09506000134352/10/L1`, { lot: 'L1' }],
  ['http://[::1]:8080/01/09506000134352', `${ID}/01/09506000134352`, {}],
  ['/01/09506000134352/10/%41b%2fc', `${ID}/01/09506000134352/10/Ab%2Fc`, { lot: 'Ab/c' }],
  // raw sub-delims are legal URI characters; the canonical form percent-encodes them
  ["/01/09506000134352/21/A!'()*+,:;=", `${ID}/01/09506000134352/21/A%21%27%28%29%2A%2B%2C%3A%3B%3D`, { serial: "A!'()*+,:;=" }],
  // every CS82 symbol, percent-encoded
  [
    '/01/09506000134352/10/%21%22%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F_',
    `${ID}/01/09506000134352/10/%21%22%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F_`,
    { lot: '!"%&\'()*+,-./:;<=>?_' },
  ],
  // values that look like AIs are values: pairing runs from the right
  ['/01/09506000134352/10/01/21/414', `${ID}/01/09506000134352/10/01/21/414`, { lot: '01', serial: '414' }],
  ['/01/09506000134352/22/10', `${ID}/01/09506000134352/22/10`, { cpv: '10' }],
  // query: resolver parameters dropped, AIs and extensions kept, "&" and ";" delimit
  [
    'https://example.com/stem/01/09506000134352/10/ABC?linkType=gs1:pip&lang=en&context=x&3103=000189&99=XYZ%2F987&foo=bar+baz',
    `${ID}/01/09506000134352/10/ABC`,
    { attributes: { '3103': '000189', '99': 'XYZ/987', foo: 'bar+baz' } },
  ],
  [`${ID}/01/09506000134352?17=261231;3103=000189&`, `${ID}/01/09506000134352`, { attributes: { '17': '261231', '3103': '000189' } }],
  // urn codes
  ['urn:trace:acme:lot-1', 'urn:trace:acme:lot-1', { kind: 'urn', participant: 'acme', local: 'lot-1' }],
  ['URN:TRACE:acme.co_2:Lot.42:part~1', 'urn:trace:acme.co_2:Lot.42:part~1', { participant: 'acme.co_2', local: 'Lot.42:part~1' }],
  ['urn:trace:a:b', 'urn:trace:a:b', {}],
  // /id/<percent-encoded code>
  ['https://trace.example.com/id/urn%3Atrace%3Aacme%3Alot-1', 'urn:trace:acme:lot-1', { kind: 'urn', attributes: {} }],
  ['/id/urn%3Atrace%3Aacme%3Alot-1', 'urn:trace:acme:lot-1', {}],
  ['https://h.example/r/id/urn%3Atrace%3Aacme%3Alot-1/?17=261231', 'urn:trace:acme:lot-1', { attributes: { '17': '261231' } }],
  ['/id/https%3A%2F%2Fexample.com%2F01%2F09506000134352%2F10%2FABC', `${ID}/01/09506000134352/10/ABC`, { lot: 'ABC' }],
];

t.test('valid codes and their canonical forms', async (t) => {
  for (const [input, canonical, fields] of VALID) {
    const c = parseCode(input);
    t.equal(c.canonical, canonical, input);
    t.equal(canonicalCode(input), canonical);
    t.match(c, fields, `${input} fields`);
    if ('attributes' in fields) t.strictSame({ ...c.attributes }, fields.attributes, `${input} attributes`);
    t.ok(Object.isFrozen(c) && Object.isFrozen(c.attributes), 'frozen');
  }
  const g = gs1('/01/09506000134352');
  t.strictSame(Object.keys(g).sort(), ['attributes', 'canonical', 'key', 'kind', 'value'], 'absent qualifiers are absent, not undefined');
});

t.test('round trips: canonical, path and URI forms parse back to the same canonical', async (t) => {
  for (const [input, canonical] of VALID) {
    const c = parseCode(input);
    t.equal(parseCode(canonical).canonical, canonical, `canonical ${canonical}`);
    const path = digitalLinkPath(c);
    t.ok(path.startsWith('/'), path);
    t.equal(parseCode(path).canonical, canonical, `path ${path}`);
    for (const base of ['https://trace.example.com', 'https://trace.example.com/', 'http://localhost:8080/resolve/']) {
      const uri = digitalLinkUri(c, base);
      t.notOk(uri.includes('//', 'https://'.length), `no empty segment in ${uri}`);
      t.equal(parseCode(uri).canonical, canonical, `uri ${uri}`);
    }
  }
  t.equal(digitalLinkPath(parseCode('urn:trace:acme:lot-1')), '/id/urn%3Atrace%3Aacme%3Alot-1');
  t.equal(digitalLinkPath(parseCode(`${ID}/01/9506000134352/10/ABC%2F1?17=261231`)), '/01/09506000134352/10/ABC%2F1', 'identity only');
  t.equal(digitalLinkUri(parseCode('/00/106141412345678908'), 'https://trace.example.com/'), 'https://trace.example.com/00/106141412345678908');
});

t.test('digitalLinkUri rejects bases that cannot round-trip', async (t) => {
  const c = parseCode('/01/09506000134352');
  for (const base of ['ftp://example.com', 'example.com', 'https://example.com?x=1', 'https://example.com/#f', 'https://u@example.com', 'https://example.com/01', 'https://example.com/a//b', '']) {
    t.throws(() => digitalLinkUri(c, base), RangeError, base);
  }
  t.throws(() => digitalLinkUri(c, undefined as unknown as string), TypeError);
  t.throws(() => digitalLinkPath({ kind: 'x' } as unknown as ObjectCode), TypeError);
  t.throws(() => parseCode(42 as unknown as string), TypeError);
});

// [input, message pattern]
const INVALID: Array<[string, RegExp]> = [
  // check digits
  [`${ID}/01/09506000134353`, /^GTIN 09506000134353: wrong check digit \(expected 2\)$/],
  ['/01/9506000134353', /^GTIN 9506000134353: wrong check digit \(expected 2\)$/],
  ['/01/95012345', /GTIN 95012345: wrong check digit \(expected 6\)/],
  ['/00/106141412345678909', /^SSCC 106141412345678909: wrong check digit \(expected 8\)$/],
  ['/414/9520123456789', /^GLN 9520123456789: wrong check digit \(expected 8\)$/],
  // key formats
  ['/01/123456789', /GTIN "123456789": 8, 12, 13 or 14 digits, got 9/],
  ['/01/0950600013435X', /GTIN "0950600013435X": digits only/],
  ['/00/10614141234567890', /SSCC "10614141234567890": 18 digits, got 17/],
  ['/414/09520123456788', /GLN "09520123456788": 13 digits, got 14/],
  // qualifier order and placement
  ['/01/09506000134352/21/S1/10/L1', /^qualifier 10 \(lot\) must come before 21 \(serial\)$/],
  ['/01/09506000134352/10/L1/22/V1', /^qualifier 22 \(CPV\) must come before 10 \(lot\)$/],
  ['/01/09506000134352/21/S1/22/V1', /qualifier 22 \(CPV\) must come before 21 \(serial\)/],
  ['/01/09506000134352/254/X', /qualifier 254 \(GLN extension\) is not allowed after 01 \(GTIN\); 01 takes 22, 10, 21/],
  ['/00/106141412345678908/10/L1', /qualifier 10 \(lot\) is not allowed after 00 \(SSCC\); 00 takes no qualifiers/],
  ['/414/9520123456788/21/S1', /qualifier 21 \(serial\) is not allowed after 414 \(GLN\)/],
  ['/01/09506000134352/10/A/10/B', /qualifier 10 \(lot\) appears twice/],
  ['/01/09506000134352/10', /qualifier 10 \(lot\) has no value/],
  ['/01/09506000134352/10/', /qualifier 10 \(lot\) has no value/],
  ['/01/09506000134352/10/A/21', /qualifier 21 \(serial\) has no value/],
  ['/01', /primary key 01 \(GTIN\) has no value/],
  ['/01/09506000134352/99/x', /unknown key qualifier "99" after 01 \(GTIN\)/],
  ['/01/09506000134352/foo/x', /unexpected path segment "foo" after 01 \(GTIN\)/],
  ['/01/09506000134352/%C3/x', /unexpected path segment "%C3" after 01 \(GTIN\)/],
  ['/01/09506000134352/414/9520123456788', /two primary keys: 01 \(GTIN\) and 414 \(GLN\)/],
  ['/10/ABC', /qualifier 10 \(lot\) without a primary key/],
  // unknown keys, short names
  ['/02/09506000134352', /^unknown primary key "02"/],
  ['https://example.com/products/8004/ABC', /unknown primary key "8004"/],
  ['/gtin/09506000134352', /"gtin" is a Digital Link short name: write the numeric AI 01/],
  ['/01/09506000134352/lot/ABC', /"lot" is a Digital Link short name: write the numeric AI 10/],
  // value lengths
  [`/01/09506000134352/10/${'A'.repeat(21)}`, /^lot: 1-20 characters, got 21$/],
  [`/01/09506000134352/21/${'1'.repeat(21)}`, /^serial: 1-20 characters, got 21$/],
  [`/01/09506000134352/22/${'V'.repeat(21)}`, /^CPV: 1-20 characters, got 21$/],
  [`/414/9520123456788/254/${'x'.repeat(21)}`, /^GLN extension: 1-20 characters, got 21$/],
  // character set 82
  ['/01/09506000134352/10/A B', /^lot "A B": character " " is not in the GS1 character set 82$/],
  ['/01/09506000134352/10/A%20B', /^lot "A B": character " " is not in the GS1 character set 82$/],
  ['/01/09506000134352/10/AB%23C', /lot "AB#C": character "#" is not in the GS1 character set 82/],
  ['/01/09506000134352/10/AB#C', /"#"/],
  ['/01/09506000134352/10/ABC#', /"#"/],
  ['/01/09506000134352/10/caf\u00e9', /lot "café": character "é" is not in the GS1 character set 82/],
  ['/01/09506000134352/10/caf%C3%A9', /lot "café": character "é" is not in the GS1 character set 82/],
  ['/01/09506000134352/21/A~B', /serial "A~B": character "~" is not in the GS1 character set 82/],
  ['/01/09506000134352/21/A%5CB', /character "\\\\" is not in the GS1 character set 82/],
  ['/01/09506000134352/10/%2E%2E', /lot "\.\.": "\." and "\.\." cannot be a URI path segment/],
  ['/01/09506000134352/10/.', /cannot be a URI path segment/],
  // percent-encoding
  ['/01/09506000134352/10/%G1', /lot "%G1": invalid percent-encoding "%G1"/],
  ['/01/09506000134352/10/AB%', /invalid percent-encoding "%"/],
  ['/01/09506000134352/10/AB%C3', /not valid UTF-8/],
  ['/01/0950600013435%32%', /invalid percent-encoding/],
  ['/id/urn%3Atrace%3Aacme%3A%ZZ', /invalid percent-encoding "%ZZ"/],
  // path structure
  ['/01//09506000134352', /empty path segment/],
  [`${ID}/01/09506000134352//`, /empty path segment/],
  ['https://example.com/st em/01/09506000134352', /path segment "st em" is not valid URI syntax/],
  // query
  ['/01/09506000134352?10=ABC', /query parameter 10 \(lot\) is part of the identity: put it in the path/],
  ['/01/09506000134352?21=1', /query parameter 21 \(serial\) is part of the identity/],
  ['/01/09506000134352?01=09506000134352', /query parameter 01 \(GTIN\) is part of the identity/],
  ['/01/09506000134352?17=261231&17=261230', /query parameter "17" appears twice/],
  ['/01/09506000134352?foo=1;foo=2', /query parameter "foo" appears twice/],
  ['/01/09506000134352?17=', /query parameter 17: 1-90 characters, got 0/],
  ['/01/09506000134352?17', /query parameter 17: 1-90 characters, got 0/],
  ['/01/09506000134352?12345=1', /query parameter "12345": a GS1 Application Identifier has 2-4 digits/],
  ['/01/09506000134352?99=a%20b', /query parameter 99 "a b": character " " is not in the GS1 character set 82/],
  ['/01/09506000134352?foo=a b', /query: character " " must be percent-encoded/],
  ['/01/09506000134352?17=%G1', /invalid percent-encoding "%G1"/],
  ['/01/09506000134352?=1', /has no name/],
  ['/id/urn%3Atrace%3Aa%3Ab%3Fx?x=1', /local id "b\?x"/],
  // urn
  ['urn:trace:Acme:lot-1', /^participant "Acme": 1-64 characters from lowercase a-z/],
  ['urn:trace:-acme:lot-1', /participant "-acme"/],
  [`urn:trace:${'a'.repeat(65)}:x`, /participant "a{65}"/],
  ['urn:trace:acme', /needs a participant and a local id/],
  ['urn:trace:acme:', /local id "": 1-128 characters/],
  ['urn:trace:acme::x', /local id ":x"/],
  ['urn:trace:acme:a b', /local id "a b"/],
  ['urn:trace:acme:a/b', /local id "a\/b"/],
  [`urn:trace:acme:${'x'.repeat(129)}`, /local id "x{129}"/],
  ['urn:epc:id:sgtin:0614141.112345.400', /unsupported URN namespace "epc"/],
  ['/id/urn%3Atrace%3AAcme%3Ax', /participant "Acme"/],
  ['/id/%2Fid%2Furn%253Atrace%253Aa%253Ab', /^not a code/],
  ['/id/https%3A%2F%2Fh.example%2Fid%2Furn%253Atrace%253Aa%253Ab', /cannot itself be an \/id\/ path/],
  ['/id/09506000134352', /^not a code/],
  // whole input
  ['', /^empty code$/],
  [' https://id.gs1.org/01/09506000134352', /^leading or trailing whitespace$/],
  ['https://id.gs1.org/01/09506000134352\n', /^leading or trailing whitespace$/],
  ['urn:trace:acme:lot-1\u00a0', /^leading or trailing whitespace$/],
  ['https://id.gs1.org/01/0950\t6000134352', /control character U\+0009 at position 26/],
  [`https://example.com/${'a/'.repeat(1020)}01/09506000134352`, /at most 2048 allowed/],
  ['09506000134352', /^not a code: expected a GS1 Digital Link URI or urn:trace:<participant>:<id>$/],
  ['ftp://example.com/01/09506000134352', /scheme "ftp" is not http or https/],
  ['https://example.com', /^not a code/],
  ['https://example.com/', /^not a code/],
  ['https://example.com/products', /^not a code/],
  ['//example.com/01/09506000134352', /^not a code/],
  ['https:/01/09506000134352', /^not a code/],
  ['https://id.gs1.org@evil.example/01/09506000134352', /user info is not allowed/],
  ['https://exa mple.com/01/09506000134352', /host "exa mple.com" is not valid URL syntax/],
  ['https:///01/09506000134352', /host "" is not valid URL syntax/],
];

t.test('invalid codes', async (t) => {
  for (const [input, message] of INVALID) {
    const label = input.length > 80 ? `${input.slice(0, 77)}...` : input;
    t.throws(() => parseCode(input), { code: 'TRACE_CODE_INVALID', message }, label);
  }
});

t.test('query names are plain data, prototype names included', async (t) => {
  const c = parseCode('/01/09506000134352?__proto__=x&constructor=y&toString=z');
  t.strictSame(Object.entries(c.attributes), [['__proto__', 'x'], ['constructor', 'y'], ['toString', 'z']]);
  t.equal(Object.getPrototypeOf(c.attributes), Object.prototype, 'prototype untouched');
  t.throws(() => parseCode('/id/urn%3Atrace%3Aa%3Ab?__proto__=1&__proto__=2'), { code: 'TRACE_CODE_INVALID', message: /appears twice/ });
});

t.test('lotOf', async (t) => {
  const serial = gs1(`${ID}/01/09520123456788/22/2A/10/ABC%2F1/21/12345?17=180426`);
  const lot = lotOf(serial);
  t.ok(lot);
  t.equal(lot?.canonical, `${ID}/01/09520123456788/22/2A/10/ABC%2F1`);
  t.match(lot, { kind: 'gs1', key: '01', value: '09520123456788', cpv: '2A', lot: 'ABC/1' });
  t.notOk(lot && 'serial' in lot, 'no serial');
  t.strictSame({ ...lot?.attributes }, {}, 'attributes of the serial item are not the lot\'s');
  t.equal(lot?.canonical, parseCode(lot?.canonical ?? '').canonical, 'lot code is canonical');
  t.equal(lotOf(gs1('/01/09506000134352/21/12345')), undefined, 'serial without lot');
  t.equal(lotOf(gs1('/01/09506000134352/10/ABC')), undefined, 'lot-level already');
  t.equal(lotOf(gs1('/01/09506000134352')), undefined);
  t.equal(lotOf(gs1('/00/106141412345678908')), undefined);
});

// CS82 minus nothing: any value of 1-20 such characters is a valid qualifier value, "." and ".." excepted.
const CS82 = '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const cs82Value = fc
  .string({ unit: fc.constantFrom(...CS82), minLength: 1, maxLength: 20 })
  .filter((s) => s !== '.' && s !== '..');
const gtin = fc.stringMatching(/^[0-9]{13}$/).map((b) => b + String(gs1CheckDigit(b)));

t.test('property: any GTIN with CS82 qualifiers round-trips through every spelling', async (t) => {
  fc.assert(
    fc.property(gtin, fc.option(cs82Value, { nil: undefined }), fc.option(cs82Value, { nil: undefined }), fc.option(cs82Value, { nil: undefined }), (g, cpv, lot, serial) => {
      // encodeURIComponent leaves ! ' ( ) * raw: a legal but non-canonical spelling.
      let uri = `https://brand.example/p/01/${g}`;
      if (cpv !== undefined) uri += `/22/${encodeURIComponent(cpv)}`;
      if (lot !== undefined) uri += `/10/${encodeURIComponent(lot)}`;
      if (serial !== undefined) uri += `/21/${encodeURIComponent(serial)}`;
      const c = gs1(uri);
      if (c.value !== g || c.cpv !== cpv || c.lot !== lot || c.serial !== serial) return false;
      if (!/^https:\/\/id\.gs1\.org(\/[A-Za-z0-9._~%-]+)+$/.test(c.canonical)) return false;
      return (
        parseCode(c.canonical).canonical === c.canonical &&
        parseCode(digitalLinkPath(c)).canonical === c.canonical &&
        parseCode(digitalLinkUri(c, 'https://trace.example.com/x')).canonical === c.canonical
      );
    }),
  );
  t.pass();
});

t.test('property: urn codes round-trip', async (t) => {
  const participant = fc.stringMatching(/^[a-z0-9](?:[a-z0-9._-]{0,10}[a-z0-9])?$/);
  const local = fc.stringMatching(/^[A-Za-z0-9._~-][A-Za-z0-9._~:-]{0,30}$/);
  fc.assert(
    fc.property(participant, local, (p, l) => {
      const c = parseCode(`urn:trace:${p}:${l}`);
      return (
        c.kind === 'urn' &&
        c.participant === p &&
        c.local === l &&
        parseCode(digitalLinkPath(c)).canonical === c.canonical &&
        parseCode(digitalLinkUri(c, 'https://trace.example.com')).canonical === c.canonical
      );
    }),
  );
  t.pass();
});

t.test('property: arbitrary input fails only with TRACE_CODE_INVALID', async (t) => {
  const prefixes = ['', 'https://example.com/', '/01/09506000134352/', '/01/09506000134352/10/', '/id/', 'urn:trace:'];
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.string({ unit: 'binary', maxLength: 60 }), (prefix, tail) => {
      try {
        const c = parseCode(prefix + tail);
        return parseCode(c.canonical).canonical === c.canonical;
      } catch (e) {
        return isLedgerError(e, 'TRACE_CODE_INVALID');
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
