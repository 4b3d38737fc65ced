import { useState } from "preact/hooks";
import { api } from "../api";
import { Alert, Field, formErrors, noErrors, type FormErrors, PasswordField } from "../components";
import { useResource, useTitle } from "../hooks";
import { navigate } from "../router";
import type { Facility, User } from "../types";
import { RoleFields, roleBody } from "./role_fields";

export function NewUserPage() {
  useTitle("Create a user");
  const facilities = useResource<Facility[]>("/api/v1/facilities");
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("radiologist");
  const [facility, setFacility] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const user = await api<User>("POST", "/api/v1/users", {
        username,
        email,
        ...roleBody(role, facility),
        password,
      });
      navigate(`/users/${user.id}?created=1`);
    } catch (e) {
      setErrors(formErrors(e));
      setBusy(false);
    }
  };

  return (
    <section class="page narrow" aria-labelledby="new-user-title">
      <h1 id="new-user-title">Create a user</h1>
      <form onSubmit={submit} aria-label="Create a user" noValidate>
        {errors.general ? <Alert>{errors.general}</Alert> : null}
        <Field label="Username" name="username" value={username} onInput={setUsername} autoComplete="off" required error={errors.fields.username} />
        <Field label="Email" name="email" type="email" value={email} onInput={setEmail} required error={errors.fields.email} />
        <RoleFields role={role} facility={facility} onRole={setRole} onFacility={setFacility} facilities={facilities.data ?? []} errors={errors} />
        <PasswordField
          label="Initial password"
          name="password"
          purpose="new"
          value={password}
          onInput={setPassword}
          hint="At least 12 characters; they can change it under their account."
          required
          error={errors.fields.password}
        />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Create user
          </button>
          <a class="button" href="/users">
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
