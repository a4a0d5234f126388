/**
 * The console's strings in English, French and Arabic. Arabic switches the page to right-to-left;
 * the stylesheet uses logical properties (margin-inline-start, …), so the layout mirrors by itself.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export const LANGUAGES = { en: 'English', fr: 'Français', ar: 'العربية' } as const;
export type Language = keyof typeof LANGUAGES;

const en = {
  'app.title': 'Grant Ledger console',
  'app.skip': 'Skip to content',
  'nav.audit': 'Time machine',
  'nav.board': 'Board',
  'nav.portfolio': 'Grant portfolio',
  'nav.reviews': 'Review queue',
  'nav.language': 'Language',
  'nav.signOut': 'Sign out',
  'nav.signedInAs': 'Signed in as {role} {sub}',
  'signIn.title': 'Sign in',
  'signIn.token': 'Bearer token',
  'signIn.tokenHelp': 'Locally: npm run -s token -- --role auditor (or grant-manager, reviewer). The token stays in this tab only.',
  'signIn.submit': 'Sign in with this token',
  'signIn.oidc': 'Sign in with {issuer}',
  'signIn.invalid': 'This is not a token (expected three dot-separated parts).',
  'signIn.expired': 'This token has expired.',
  'signIn.refused': 'The API refused the token (expired or not valid here): sign in again.',
  'common.loading': 'Loading…',
  'common.none': 'Nothing here yet.',
  'common.status': 'Status',
  'common.open': 'Open',
  'common.submit': 'Submit',
  'common.add': 'Add',
  'common.remove': 'Remove',
  'common.done': 'Done: the server recorded it.',
  'common.error': 'The server answered {status}: {title}',
  'common.back': 'Back',
  'audit.title': 'The auditor’s time machine',
  'audit.search': 'Find a call, proposal or grant by name',
  'audit.searchButton': 'Search',
  'audit.results': 'Results',
  'audit.noResults': 'No call, proposal or grant has that in its title.',
  'audit.timeline': 'Timeline',
  'audit.slider': 'As it stood after event {n} of {total}',
  'audit.sliderValue': 'Event {n} of {total}: {type}, {when}',
  'audit.asOf': 'The record as it stood on {when}',
  'audit.now': 'The record now',
  'audit.changedSince': 'What changed since',
  'audit.nothingChanged': 'Nothing: this is the latest event.',
  'audit.fieldChanges': 'Fields that differ now',
  'audit.then': 'then',
  'audit.nowValue': 'now',
  'audit.by': 'by {role} {actor}',
  'audit.why': 'Why',
  'audit.personalData': 'personal data: {state}',
  'audit.dossier': 'Decision dossier',
  'audit.noDossier': 'No funding decision is recorded for this proposal.',
  'audit.decidedBy': 'Decided by {role} {actor} on {when}',
  'audit.reasons': 'Reasons',
  'audit.budgetPosition': 'Call budget at that moment: {committed} committed of {budget}',
  'audit.reviews': 'Reviews',
  'audit.consensus': 'Consensus',
  'audit.verify': 'Verify the ledger',
  'audit.verifying': 'Recomputing every hash chain and seal…',
  'audit.intact': 'Intact: {events} events in {streams} streams and {seals} signed seals check out.',
  'audit.broken': 'Broken: {kind} at {stream} version {version} — {detail}',
  'audit.download': 'Download the evidence bundle',
  'audit.downloaded': 'Bundle ready: {name} ({size} KB). Check it offline: tar -xf {name} && node verify-bundle.js <events file>.',
  'board.title': 'Grant manager’s board',
  'board.call': 'Call',
  'board.chooseCall': 'Choose a call',
  'board.budget': 'Budget {budget}: {committed} committed, {remaining} remaining',
  'board.rank': 'Rank {rank}',
  'board.score': 'Consensus {score}',
  'board.requested': 'Requested {amount}',
  'board.actions': 'Next actions',
  'board.act': 'Act on “{title}”',
  'action.eligibility': 'Screen eligibility',
  'action.reviewers': 'Assign a reviewer',
  'action.consensus': 'Record the consensus',
  'action.decision': 'Record the funding decision',
  'action.conflicts': 'Declare a conflict of interest',
  'portfolio.title': 'Grant portfolio',
  'portfolio.overdueOnly': 'Only grants with an overdue report',
  'portfolio.overdue': 'Report overdue (due {date})',
  'portfolio.nextReport': 'Next report due {date}',
  'portfolio.disbursed': '{disbursed} disbursed of {amount}',
  'reviews.title': 'Reviewer’s queue',
  'reviews.pending': 'Awaiting your review',
  'reviews.done': 'Reviewed',
  'reviews.blind': 'Other reviews stay hidden until you submit yours.',
  'reviews.score': '{criterion} (0–{max})',
  'reviews.comment': 'Comment on {criterion}',
  'reviews.recommendation': 'Recommendation',
  'reviews.overall': 'Overall comment',
  'reviews.submit': 'Submit the review',
  'reviews.submitted': 'Review submitted.',
  'reviews.otherReviews': 'Reviews you may now see',
  'status.draft': 'draft',
  'status.submitted': 'submitted',
  'status.ineligible': 'ineligible',
  'status.under-review': 'under review',
  'status.awarded': 'awarded',
  'status.rejected': 'rejected',
  'status.reserved': 'reserve list',
  'status.withdrawn': 'withdrawn',
  'status.published': 'published',
  'status.closed': 'closed',
  'status.cancelled': 'cancelled',
  'status.active': 'active',
  'status.suspended': 'suspended',
  'status.terminated': 'terminated',
};

export type MessageKey = keyof typeof en;
type Messages = Record<MessageKey, string>;

const fr: Messages = {
  'app.title': 'Console Grant Ledger',
  'app.skip': 'Aller au contenu',
  'nav.audit': 'Machine à remonter le temps',
  'nav.board': 'Tableau',
  'nav.portfolio': 'Portefeuille de subventions',
  'nav.reviews': 'Évaluations à faire',
  'nav.language': 'Langue',
  'nav.signOut': 'Se déconnecter',
  'nav.signedInAs': 'Connecté : {role} {sub}',
  'signIn.title': 'Connexion',
  'signIn.token': 'Jeton (bearer)',
  'signIn.tokenHelp': 'En local : npm run -s token -- --role auditor (ou grant-manager, reviewer). Le jeton reste dans cet onglet.',
  'signIn.submit': 'Se connecter avec ce jeton',
  'signIn.oidc': 'Se connecter avec {issuer}',
  'signIn.invalid': 'Ce n’est pas un jeton (trois parties séparées par des points attendues).',
  'signIn.expired': 'Ce jeton a expiré.',
  'signIn.refused': 'L’API a refusé le jeton (expiré ou non valable ici) : reconnectez-vous.',
  'common.loading': 'Chargement…',
  'common.none': 'Rien pour l’instant.',
  'common.status': 'Statut',
  'common.open': 'Ouvrir',
  'common.submit': 'Envoyer',
  'common.add': 'Ajouter',
  'common.remove': 'Retirer',
  'common.done': 'Fait : le serveur l’a enregistré.',
  'common.error': 'Le serveur a répondu {status} : {title}',
  'common.back': 'Retour',
  'audit.title': 'La machine à remonter le temps de l’auditeur',
  'audit.search': 'Trouver un appel, une proposition ou une subvention par son nom',
  'audit.searchButton': 'Rechercher',
  'audit.results': 'Résultats',
  'audit.noResults': 'Aucun appel, aucune proposition ni subvention ne porte ce titre.',
  'audit.timeline': 'Chronologie',
  'audit.slider': 'Tel qu’après l’événement {n} sur {total}',
  'audit.sliderValue': 'Événement {n} sur {total} : {type}, {when}',
  'audit.asOf': 'L’enregistrement tel qu’il était le {when}',
  'audit.now': 'L’enregistrement aujourd’hui',
  'audit.changedSince': 'Ce qui a changé depuis',
  'audit.nothingChanged': 'Rien : c’est le dernier événement.',
  'audit.fieldChanges': 'Champs qui diffèrent aujourd’hui',
  'audit.then': 'alors',
  'audit.nowValue': 'maintenant',
  'audit.by': 'par {role} {actor}',
  'audit.why': 'Motif',
  'audit.personalData': 'données personnelles : {state}',
  'audit.dossier': 'Dossier de décision',
  'audit.noDossier': 'Aucune décision de financement n’est enregistrée pour cette proposition.',
  'audit.decidedBy': 'Décidé par {role} {actor} le {when}',
  'audit.reasons': 'Motifs',
  'audit.budgetPosition': 'Budget de l’appel à ce moment : {committed} engagés sur {budget}',
  'audit.reviews': 'Évaluations',
  'audit.consensus': 'Consensus',
  'audit.verify': 'Vérifier le registre',
  'audit.verifying': 'Recalcul de chaque chaîne de hachage et de chaque sceau…',
  'audit.intact': 'Intact : {events} événements dans {streams} flux et {seals} sceaux signés sont vérifiés.',
  'audit.broken': 'Rompu : {kind} dans {stream} version {version} — {detail}',
  'audit.download': 'Télécharger le dossier de preuves',
  'audit.downloaded': 'Dossier prêt : {name} ({size} Ko). Vérification hors ligne : tar -xf {name} && node verify-bundle.js <fichier d’événements>.',
  'board.title': 'Tableau du gestionnaire de subventions',
  'board.call': 'Appel',
  'board.chooseCall': 'Choisir un appel',
  'board.budget': 'Budget {budget} : {committed} engagés, {remaining} disponibles',
  'board.rank': 'Rang {rank}',
  'board.score': 'Consensus {score}',
  'board.requested': 'Demandé {amount}',
  'board.actions': 'Prochaines actions',
  'board.act': 'Agir sur « {title} »',
  'action.eligibility': 'Contrôler l’éligibilité',
  'action.reviewers': 'Désigner un évaluateur',
  'action.consensus': 'Enregistrer le consensus',
  'action.decision': 'Enregistrer la décision de financement',
  'action.conflicts': 'Déclarer un conflit d’intérêts',
  'portfolio.title': 'Portefeuille de subventions',
  'portfolio.overdueOnly': 'Seulement les subventions avec un rapport en retard',
  'portfolio.overdue': 'Rapport en retard (dû le {date})',
  'portfolio.nextReport': 'Prochain rapport dû le {date}',
  'portfolio.disbursed': '{disbursed} versés sur {amount}',
  'reviews.title': 'File de l’évaluateur',
  'reviews.pending': 'En attente de votre évaluation',
  'reviews.done': 'Évaluées',
  'reviews.blind': 'Les autres évaluations restent cachées jusqu’à l’envoi de la vôtre.',
  'reviews.score': '{criterion} (0–{max})',
  'reviews.comment': 'Commentaire sur {criterion}',
  'reviews.recommendation': 'Recommandation',
  'reviews.overall': 'Commentaire général',
  'reviews.submit': 'Envoyer l’évaluation',
  'reviews.submitted': 'Évaluation envoyée.',
  'reviews.otherReviews': 'Évaluations désormais visibles',
  'status.draft': 'brouillon',
  'status.submitted': 'soumise',
  'status.ineligible': 'inéligible',
  'status.under-review': 'en évaluation',
  'status.awarded': 'accordée',
  'status.rejected': 'rejetée',
  'status.reserved': 'liste de réserve',
  'status.withdrawn': 'retirée',
  'status.published': 'publié',
  'status.closed': 'clos',
  'status.cancelled': 'annulé',
  'status.active': 'active',
  'status.suspended': 'suspendue',
  'status.terminated': 'résiliée',
};

/** Arabic: the navigation, sign-in and statuses; anything else falls back to English. */
const ar: Partial<Messages> = {
  'app.title': 'وحدة تحكم سجل المنح',
  'app.skip': 'انتقل إلى المحتوى',
  'nav.audit': 'آلة الزمن',
  'nav.board': 'اللوحة',
  'nav.portfolio': 'محفظة المنح',
  'nav.reviews': 'قائمة المراجعة',
  'nav.language': 'اللغة',
  'nav.signOut': 'تسجيل الخروج',
  'signIn.title': 'تسجيل الدخول',
  'signIn.token': 'رمز الوصول',
  'signIn.submit': 'الدخول بهذا الرمز',
  'common.loading': 'جارٍ التحميل…',
  'common.submit': 'إرسال',
  'audit.title': 'آلة الزمن للمدقق',
  'audit.searchButton': 'بحث',
  'audit.timeline': 'التسلسل الزمني',
  'audit.verify': 'التحقق من السجل',
  'audit.download': 'تنزيل حزمة الأدلة',
  'audit.dossier': 'ملف القرار',
  'board.title': 'لوحة مدير المنح',
  'reviews.title': 'قائمة المراجع',
  'reviews.submit': 'إرسال المراجعة',
  'status.submitted': 'مقدَّم',
  'status.under-review': 'قيد المراجعة',
  'status.awarded': 'ممنوح',
  'status.rejected': 'مرفوض',
  'status.reserved': 'قائمة الاحتياط',
};

const MESSAGES: Record<Language, Partial<Messages>> = { en, fr, ar };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(language: Language): Translate {
  const messages = MESSAGES[language];
  return (key, params = {}) => (messages[key] ?? en[key] ?? key).replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}

export function directionOf(language: Language): 'ltr' | 'rtl' {
  return language === 'ar' ? 'rtl' : 'ltr';
}

export function initialLanguage(): Language {
  const saved = localStorage.getItem('grant-ledger-console-language');
  if (saved && saved in LANGUAGES) return saved as Language;
  const preferred = navigator.language.slice(0, 2);
  return preferred in LANGUAGES ? (preferred as Language) : 'en';
}

export interface Locale {
  language: Language;
  t: Translate;
  dateTime(iso: string): string;
  date(iso: string): string;
  money(minor: number, currency: string): string;
}

export function localeOf(language: Language): Locale {
  const tag = language === 'ar' ? 'ar-u-nu-latn' : language === 'fr' ? 'fr-FR' : 'en-GB';
  const dateTime = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
  const date = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeZone: 'UTC' });
  return {
    language,
    t: translator(language),
    dateTime: (iso) => `${dateTime.format(new Date(iso))} UTC`,
    date: (iso) => date.format(new Date(iso)),
    money(minor, currency) {
      const format = new Intl.NumberFormat(tag, { style: 'currency', currency });
      const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
      return format.format(minor / 10 ** digits);
    },
  };
}

export const LocaleContext = createContext<Locale>(localeOf('en'));
export const useLocale = (): Locale => useContext(LocaleContext);
