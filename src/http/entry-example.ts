/**
 * The example entry of POST /v1/entries in the OpenAPI document: the demo's first shipment
 * (fixtures/demo/chain.json "ship-alumina-gxa-26-1103"), signed with keys/guangxi-alumina.key.pem.
 * A real entry, so that "Try it out" on a demo service gets its original receipt back;
 * test/http/openapi.test.ts checks that the signature verifies and that the demo accepts it.
 */
export const EXAMPLE_ENTRY = {
  "payload": {
    "type": "ship",
    "id": "ship-alumina-gxa-26-1103",
    "signer": "guangxi-alumina",
    "time": "2026-11-03T08:00:00.000+08:00",
    "to": "baise-smelter",
    "carrier": "southline-logistics",
    "objects": [
      {
        "code": "https://id.gs1.org/01/06931000010017/10/AL2611-01",
        "quantity": {
          "value": 100000,
          "unit": "KGM"
        }
      }
    ],
    "expectedDelivery": "2026-11-03T18:00:00.000+08:00",
    "transport": {
      "mode": "road",
      "distanceKm": 95,
      "emissionsKgCO2e": 760
    },
    "reference": "DA-GXA-26-1103",
    "from": {
      "gln": "6931000000018"
    },
    "destination": {
      "gln": "6931000000025"
    }
  },
  "signature": {
    "kid": "2a7a528cc88d34b5",
    "sig": "-YyE0jalf_kh_FLT6nE52MvEeUMunTxHmdfMNKunROeEJVesIPnW1JJ4y0UAd2-GzUA4RN5br4PAc30FfdhIAg"
  }
} as const;
