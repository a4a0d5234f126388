/**
 * ISO 4217 alphabetic codes of the currencies in circulation (List One, amendments up to 2025:
 * XCG replaced ANG; ZWG replaced ZWL; SLE replaced SLL; HRK and CUC withdrawn). A format check
 * alone would accept "XXX" or "ABC". Deliberately left out, though listed by ISO: fund codes (BOV,
 * CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals (XAU, XAG, XPD, XPT), bond-market and
 * accounting units (XBA–XBD, XDR, XSU, XUA), the testing code XTS and "no currency" XXX: grants are
 * budgeted and paid in money, not in those.
 */
const ISO_4217_ACTIVE = new Set(
  (
    'AED AFN ALL AMD AOA ARS AUD AWG AZN ' +
    'BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD ' +
    'CAD CDF CHF CLP CNY COP CRC CUP CVE CZK ' +
    'DJF DKK DOP DZD ' +
    'EGP ERN ETB EUR ' +
    'FJD FKP ' +
    'GBP GEL GHS GIP GMD GNF GTQ GYD ' +
    'HKD HNL HTG HUF ' +
    'IDR ILS INR IQD IRR ISK ' +
    'JMD JOD JPY ' +
    'KES KGS KHR KMF KPW KRW KWD KYD KZT ' +
    'LAK LBP LKR LRD LSL LYD ' +
    'MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN ' +
    'NAD NGN NIO NOK NPR NZD ' +
    'OMR ' +
    'PAB PEN PGK PHP PKR PLN PYG ' +
    'QAR ' +
    'RON RSD RUB RWF ' +
    'SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL ' +
    'THB TJS TMT TND TOP TRY TTD TWD TZS ' +
    'UAH UGX USD UYU UZS ' +
    'VED VES VND VUV ' +
    'WST ' +
    'XAF XCD XCG XOF XPF ' +
    'YER ' +
    'ZAR ZMW ZWG'
  ).split(' '),
);

export const ISO_4217_ACTIVE_COUNT = ISO_4217_ACTIVE.size;

/** Every accepted code, sorted (for OpenAPI enums and validation messages). */
export const ISO_4217_ACTIVE_CODES: readonly string[] = [...ISO_4217_ACTIVE].sort();

/** Is `code` the upper-case ISO 4217 code of a currency in circulation? */
export function isIso4217Currency(code: unknown): code is string {
  return typeof code === 'string' && ISO_4217_ACTIVE.has(code);
}
