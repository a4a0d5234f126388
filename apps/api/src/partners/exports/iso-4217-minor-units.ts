/**
 * ISO 4217 minor units (the exponent: how many decimal places a currency's minor unit has), from
 * ISO 4217 List One as published by its maintenance agency, SIX Group
 * (https://www.six-group.com/dam/download/financial-information/data-center/iso-currrency/lists/list-one.xml,
 * column CcyMnrUnts; amendments up to 2025: XCG, ZWG, SLE, VED).
 *
 * The ledger stores amounts in these minor units, so the export divides by them. `Intl.NumberFormat`
 * is not a substitute: its fraction digits are CLDR's display conventions (0 for LBP, IQD, SYP, YER,
 * IDR, IRR…, where ISO says 2 or 3), and dividing by them exported 100 times (1,000 for IQD) the
 * amount that was awarded.
 *
 * Every currency the ledger accepts (`ISO_4217_ACTIVE_CODES`) has an entry (tested). So do the fund
 * codes of List One, and the codes withdrawn since the ledger started validating currencies (ANG,
 * CUC, HRK, SLL, ZWL), so a grant recorded in one still exports. Metals and units listed "N.A." have
 * no minor unit and no entry.
 */
const BY_EXPONENT: Record<number, string> = {
  0: 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF',
  2:
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD ' +
    'CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP ' +
    'GBP GEL GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT ' +
    'LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN ' +
    'NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP ' +
    'SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS ' +
    'VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL',
  3: 'BHD IQD JOD KWD LYD OMR TND',
  4: 'CLF UYW',
};

export const ISO_4217_MINOR_UNITS: ReadonlyMap<string, number> = new Map(
  Object.entries(BY_EXPONENT).flatMap(([exponent, codes]) => codes.split(' ').map((code) => [code, Number(exponent)] as const)),
);

/** The ISO 4217 exponent of `currency`; undefined for a code ISO gives none. */
export function iso4217MinorUnits(currency: string): number | undefined {
  return ISO_4217_MINOR_UNITS.get(currency);
}
