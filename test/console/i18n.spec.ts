import { localeOf } from '../../apps/console/src/i18n';

describe('the console’s counts, in each language’s plural forms', () => {
  it('says the verify verdict with the right forms: one seal, two streams, many events', () => {
    const en = localeOf('en');
    const verdict = (locale: ReturnType<typeof localeOf>, events: number, streams: number, seals: number) =>
      locale.t('audit.intact', { events: locale.count('audit.events', events), streams: locale.count('audit.streams', streams), seals: locale.count('audit.seals', seals) });
    // It said "1 signed seals check out".
    expect(verdict(en, 12, 2, 1)).toBe('Intact: 12 events in 2 streams and 1 signed seal, all checked.');
    expect(verdict(localeOf('fr'), 1, 1, 2)).toBe('Intact : 1 événement dans 1 flux et 2 sceaux signés, tous vérifiés.');
    // Arabic: the dual, 3–10 (few), 11–99 (many); it said حدثًا whatever the number.
    expect(verdict(localeOf('ar'), 11, 3, 2)).toBe('سليم: تم التحقق من 11 حدثًا في 3 تدفقات وختمان موقّعان.');
  });
});
