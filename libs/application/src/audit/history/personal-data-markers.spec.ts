import { maskPersonalData } from './personal-data-markers';

const envelope = { $pii: { v: 1, subject: 'organisation-1', kid: 'k1', iv: 'iv', ct: 'ct', tag: 'tag' } };

describe('audit readers never see personal data in clear', () => {
  it('shows a recorded personal field as present, without its value', () => {
    const stored = { organisationId: 'o1', name: 'Dom Community Association', contactPerson: envelope };
    const decoded = { organisationId: 'o1', name: 'Dom Community Association', contactPerson: { name: 'Rima', email: 'rima@example.org' } };
    const masked = maskPersonalData(stored, decoded, ['contactPerson']);
    expect(masked).toEqual({ organisationId: 'o1', name: 'Dom Community Association', contactPerson: { personalData: 'present' } });
    expect(JSON.stringify(masked)).not.toContain('Rima');
  });

  it('shows a shredded field as erased', () => {
    expect(maskPersonalData({ contactPerson: envelope }, { contactPerson: null }, ['contactPerson'])).toEqual({ contactPerson: { personalData: 'erased' } });
  });

  it('marks the field unreadable when the envelope could not be opened', () => {
    expect(maskPersonalData({ signatories: envelope }, null, ['signatories'])).toEqual({ signatories: { personalData: 'unreadable' } });
  });

  it('leaves absent and null fields as they are, and masks nested paths', () => {
    expect(maskPersonalData({ name: 'x' }, { name: 'x' }, ['contactPerson'])).toEqual({ name: 'x' });
    expect(maskPersonalData({ contactPerson: null }, { contactPerson: null }, ['contactPerson'])).toEqual({ contactPerson: null });
    expect(maskPersonalData({ a: { b: envelope, c: 1 } }, { a: { b: 'clear', c: 1 } }, ['a.b'])).toEqual({ a: { b: { personalData: 'present' }, c: 1 } });
  });
});
