import { useState } from "preact/hooks";
import { api } from "../api";
import { Alert, Confirm, Dialog, Loading, PasswordField, dateTime, formErrors, label, noErrors, type FormErrors } from "../components";
import { useResource, useTitle } from "../hooks";
import { useLocation } from "../router";
import { useUser } from "../session";
import type { Facility, User } from "../types";
import { RoleFields, roleBody } from "./role_fields";

export function UserPage(props: { id: string }) {
  const user = useResource<User>(`/api/v1/users/${props.id}`);
  const facilities = useResource<Facility[]>("/api/v1/facilities");
  const me = useUser();
  const { params } = useLocation();
  const [confirming, setConfirming] = useState(false);
  const [resetting, setResetting] = useState(false);
  const [notice, setNotice] = useState<string>();
  useTitle(user.data?.username ?? "User");

  if (user.error) return <Alert>{user.error.status === 404 ? "No such user." : user.error.message}</Alert>;
  const u = user.data;
  if (!u) return <Loading />;
  const facilityName = (id?: string | null) => (facilities.data ?? []).find((f) => f.id === id)?.name ?? "—";

  return (
    <section class="page narrow" aria-labelledby="user-title">
      <div class="page-head">
        <h1 id="user-title">{u.username}</h1>
        <div class="actions">
          <button type="button" onClick={() => setResetting(true)}>
            Reset password
          </button>
          {u.id !== me.id ? (
            <button type="button" class={u.active ? "danger" : "primary"} onClick={() => setConfirming(true)}>
              {u.active ? "Deactivate" : "Activate"}
            </button>
          ) : null}
        </div>
      </div>
      {params.get("created") ? <Alert kind="success">User created.</Alert> : null}
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      <dl class="facts">
        <dt>Role</dt>
        <dd>{label.role[u.role]}</dd>
        <dt>Facility</dt>
        <dd>{facilityName(u.facility_id)}</dd>
        <dt>Email</dt>
        <dd>{u.email}</dd>
        <dt>Status</dt>
        <dd>
          <span class={u.active ? "badge ok" : "badge off"}>{u.active ? "Active" : "Inactive"}</span>
        </dd>
        <dt>Created</dt>
        <dd>{dateTime(u.created_at)}</dd>
      </dl>
      <h2>Role</h2>
      <RoleForm user={u} facilities={facilities.data ?? []} onSaved={user.set} />
      {confirming ? (
        <Confirm
          title={u.active ? `Deactivate ${u.username}?` : `Activate ${u.username}?`}
          confirmLabel={u.active ? "Deactivate user" : "Activate user"}
          danger={u.active}
          onConfirm={async () => user.set(await api<User>("PATCH", `/api/v1/users/${u.id}`, { active: !u.active }))}
          onClose={() => setConfirming(false)}
        >
          <p>
            {u.active
              ? "They are signed out on their next request and cannot sign in until activated again. Their reports stay."
              : "They can sign in again with their password."}
          </p>
        </Confirm>
      ) : null}
      {resetting ? (
        <ResetPassword
          user={u}
          onClose={() => setResetting(false)}
          onDone={(next) => {
            user.set(next);
            setResetting(false);
            setNotice("Password reset. Give the new password to them privately.");
          }}
        />
      ) : null}
    </section>
  );
}

function RoleForm(props: { user: User; facilities: Facility[]; onSaved: (u: User) => void }) {
  const [role, setRole] = useState<string>(props.user.role);
  const [facility, setFacility] = useState(props.user.facility_id ?? "");
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [saved, setSaved] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      props.onSaved(await api<User>("PATCH", `/api/v1/users/${props.user.id}`, roleBody(role, facility)));
      setErrors(noErrors);
      setSaved(true);
    } catch (e) {
      setErrors(formErrors(e));
      setSaved(false);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Role" noValidate>
      {saved ? <Alert kind="success">Saved.</Alert> : null}
      {errors.general ? <Alert>{errors.general}</Alert> : null}
      <RoleFields role={role} facility={facility} onRole={setRole} onFacility={setFacility} facilities={props.facilities} errors={errors} />
      <div class="actions">
        <button type="submit" class="primary">
          Save role
        </button>
      </div>
    </form>
  );
}

function ResetPassword(props: { user: User; onClose: () => void; onDone: (u: User) => void }) {
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      props.onDone(await api<User>("PATCH", `/api/v1/users/${props.user.id}`, { password }));
    } catch (e) {
      setErrors(formErrors(e));
    }
  };
  return (
    <Dialog title={`Reset the password of ${props.user.username}`} onClose={props.onClose}>
      <form onSubmit={submit} aria-label="Reset password" noValidate>
        {errors.general ? <Alert>{errors.general}</Alert> : null}
        <PasswordField
          label="New password"
          name="password"
          purpose="new"
          value={password}
          onInput={setPassword}
          hint="At least 12 characters."
          error={errors.fields.password}
        />
        <div class="actions">
          <button type="submit" class="primary">
            Reset password
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
