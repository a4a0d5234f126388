import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { type OidcConfig, type Session, sessionFromToken, startOidcSignIn } from '../session';
import { useLocale } from '../i18n';
import { useDocumentTitle } from '../title';

export interface SignInProps {
  oidc: OidcConfig | null;
  onSignIn(session: Session): void;
  error?: string;
  /**
   * The views are kept behind this sign-in, with what was typed in them (app.tsx): pasting a token
   * keeps them; leaving for the provider reloads the page, which loses them, and is said so.
   */
  keeping?: boolean;
  /** Renewing a sign-in that has not ended yet: going back to the views as they were. */
  onCancel?: () => void;
}

/** Paste a bearer token (npm run token locally), or leave for the OpenID Connect provider when one is configured. */
export function SignIn({ oidc, onSignIn, error, keeping = false, onCancel }: SignInProps): JSX.Element {
  const { t } = useLocale();
  const [token, setToken] = useState('');
  const [typed, setProblem] = useState<string>();
  const problem = typed ?? error;
  useDocumentTitle([t('signIn.title')]);
  const submit = (event: Event) => {
    event.preventDefault();
    const session = sessionFromToken(token);
    if (session === 'invalid') setProblem(t('signIn.invalid'));
    else if (session === 'expired') setProblem(t('signIn.expired'));
    else onSignIn(session);
  };
  return (
    <section class="panel sign-in" aria-labelledby="sign-in-title" data-testid="sign-in">
      <h2 id="sign-in-title">{t('signIn.title')}</h2>
      {oidc && (
        <p>
          <button type="button" onClick={() => void startOidcSignIn(oidc).catch((e: unknown) => setProblem(String(e)))}>
            {t('signIn.oidc', { issuer: new URL(oidc.issuer).host })}
          </button>
          {keeping && <small class="hint" data-testid="oidc-loses-text">{t('signIn.oidcLosesText')}</small>}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="token">{t('signIn.token')}</label>
          <textarea id="token" rows={4} autoComplete="off" spellcheck={false} aria-describedby="token-help" aria-invalid={problem ? 'true' : undefined} value={token} onInput={(e) => setToken(e.currentTarget.value)} />
          <small id="token-help" class="hint">{t('signIn.tokenHelp')}</small>
        </div>
        {problem && <p class="field-error" role="alert">{problem}</p>}
        <button type="submit">{t('signIn.submit')}</button>
        {onCancel && (
          <>
            {' '}
            <button type="button" class="secondary" onClick={onCancel}>{t('signIn.backToWork')}</button>
          </>
        )}
      </form>
    </section>
  );
}
