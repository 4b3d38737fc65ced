import { useState } from "preact/hooks";
import { api } from "../api";
import { Alert, PasswordField, formErrors, label, noErrors, type FormErrors } from "../components";
import { useTitle } from "../hooks";
import { useUser } from "../session";

export function AccountPage() {
  useTitle("Your account");
  const user = useUser();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(false);
    if (next !== repeat) {
      setErrors({ fields: { repeat_password: "The two new passwords differ." } });
      return;
    }
    setBusy(true);
    try {
      await api("POST", "/api/v1/me/password", { current_password: current, new_password: next });
      setErrors(noErrors);
      setCurrent("");
      setNext("");
      setRepeat("");
      setDone(true);
    } catch (e) {
      setErrors(formErrors(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page narrow" aria-labelledby="account-title">
      <h1 id="account-title">Your account</h1>
      <dl class="facts">
        <dt>Username</dt>
        <dd>{user.username}</dd>
        <dt>Role</dt>
        <dd>{label.role[user.role]}</dd>
        <dt>Email</dt>
        <dd>{user.email}</dd>
      </dl>
      <h2>Change your password</h2>
      <form onSubmit={submit} aria-label="Change your password">
        {done ? <Alert kind="success">Your password is changed.</Alert> : null}
        {errors.general ? <Alert>{errors.general}</Alert> : null}
        <PasswordField
          label="Current password"
          name="current_password"
          purpose="current"
          value={current}
          onInput={setCurrent}
          error={errors.fields.current_password}
          required
        />
        <PasswordField
          label="New password"
          name="new_password"
          purpose="new"
          value={next}
          onInput={setNext}
          error={errors.fields.new_password}
          hint="At least 12 characters."
          required
        />
        <PasswordField
          label="New password, again"
          name="repeat_password"
          purpose="new"
          value={repeat}
          onInput={setRepeat}
          error={errors.fields.repeat_password}
          required
        />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
