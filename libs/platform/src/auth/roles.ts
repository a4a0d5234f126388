/** Every role a bearer token can carry. Order carries no meaning. */
export const ROLES = ['admin', 'grant-manager', 'reviewer', 'applicant', 'auditor', 'partner'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling: taken from a verified token, recorded on every event it causes. */
export interface Actor {
  id: string;
  role: Role;
  /** The organisation an applicant acts for; required for applicants. */
  organisationId?: string;
}
