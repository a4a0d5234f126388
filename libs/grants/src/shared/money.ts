/** Money is an integer number of minor units plus an ISO 4217 currency code. Never a float. */
export interface Money {
  amountMinor: number;
  currency: string;
}

export const ISO_4217 = /^[A-Z]{3}$/;

export function isMinorUnits(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
