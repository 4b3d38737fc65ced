import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { Alert, Field, PasswordField } from "../components";
import { signIn } from "../session";
import type { Session } from "../types";

export function SignInForm(props: { onSignedIn: (session: Session) => void; embedded?: boolean; username?: string }) {
  const [username, setUsername] = useState(props.username ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await signIn(username, password));
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401
          ? "The username or password is not correct, or the account is inactive."
          : e instanceof Error
            ? e.message
            : String(e),
      );
      setBusy(false);
    }
  };

  const form = (
    <form onSubmit={submit} class="sign-in" aria-label="Sign in">
      {error ? <Alert>{error}</Alert> : null}
      <Field label="Username" name="username" value={username} onInput={setUsername} autoComplete="username" />
      <PasswordField
        label="Password"
        name="password"
        value={password}
        onInput={setPassword}
        purpose="current"
      />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </div>
    </form>
  );
  if (props.embedded) return form;
  return (
    <div class="sign-in-card">
      <h1>
        <span class="brand">Noctis</span> console
      </h1>
      <p class="muted">DICOM gateway: facilities, worklist and reports.</p>
      {form}
    </div>
  );
}
