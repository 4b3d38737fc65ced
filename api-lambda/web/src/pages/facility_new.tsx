import { useEffect, useState } from "preact/hooks";
import { api, ApiError, get, query } from "../api";
import { Alert, Field, formErrors, noErrors, type FormErrors, PasswordField } from "../components";
import { useTitle } from "../hooks";
import { navigate } from "../router";
import type { Facility } from "../types";
import { FacilityDetailFields, detailsBody, noDetails } from "./facility_fields";

interface AeTitleCheck {
  ae_title: string;
  available: boolean;
}

/** The AE title the API says a name (or a chosen title) gives, as the user types. */
function useAeTitlePreview(name: string, custom: string | null) {
  const [preview, setPreview] = useState<{ title?: string; available?: boolean; error?: string }>({});
  useEffect(() => {
    const wanted = custom === null ? name.trim() : custom.trim();
    if (!wanted) {
      setPreview({});
      return;
    }
    let stale = false;
    const timer = window.setTimeout(async () => {
      try {
        const check = await get<AeTitleCheck>(
          `/api/v1/facilities/ae-title${query(custom === null ? { name: wanted } : { ae_title: wanted })}`,
        );
        if (!stale) setPreview({ title: check.ae_title, available: check.available });
      } catch (e) {
        if (!stale) setPreview({ error: e instanceof ApiError ? e.message : String(e) });
      }
    }, 250);
    return () => {
      stale = true;
      window.clearTimeout(timer);
    };
  }, [name, custom]);
  return preview;
}

export function NewFacilityPage() {
  useTitle("Register a facility");
  const [name, setName] = useState("");
  const [customTitle, setCustomTitle] = useState<string | null>(null);
  const [details, setDetails] = useState(noDetails);
  const [withUser, setWithUser] = useState(false);
  const [username, setUsername] = useState("");
  const [userEmail, setUserEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const preview = useAeTitlePreview(name, customTitle);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const created = await api<Facility>("POST", "/api/v1/facilities", {
        name,
        ...detailsBody(details),
        ae_title: customTitle === null || customTitle.trim() === "" ? null : customTitle,
        facility_user: withUser ? { username, email: userEmail, password } : null,
      });
      navigate(`/facilities/${created.id}?registered=1`);
    } catch (e) {
      setErrors(formErrors(e, { username: "facility_user.username" }));
      setBusy(false);
    }
  };

  const titleNote = preview.error ? undefined : preview.title ? (
    <>
      {customTitle === null ? "It will be registered as " : "Chosen: "}
      <output class="ae-preview" aria-live="polite" data-testid="ae-title-preview">
        {preview.title}
      </output>
      {preview.available === false ? " — already taken by another facility." : null}
    </>
  ) : (
    "The calling AE title is made from the name."
  );

  return (
    <section class="page narrow" aria-labelledby="new-facility-title">
      <h1 id="new-facility-title">Register a facility</h1>
      <form onSubmit={submit} aria-label="Register a facility" noValidate>
        {errors.general ? <Alert>{errors.general}</Alert> : null}
        <Field
          label="Facility name"
          name="name"
          value={name}
          onInput={setName}
          required
          error={errors.fields.name ?? (customTitle === null ? preview.error : undefined)}
          hint={customTitle === null ? titleNote : undefined}
        />
        <div class="field checkbox">
          <input
            id="custom-title"
            type="checkbox"
            checked={customTitle !== null}
            onChange={(e) => setCustomTitle((e.target as HTMLInputElement).checked ? "" : null)}
          />
          <label for="custom-title">Choose the AE title myself</label>
        </div>
        {customTitle !== null ? (
          <Field
            label="Calling AE title"
            name="ae_title"
            value={customTitle}
            onInput={setCustomTitle}
            maxLength={16}
            error={errors.fields.ae_title ?? preview.error ?? (preview.available === false ? "Already taken." : undefined)}
            hint={preview.error ? undefined : titleNote}
          />
        ) : errors.fields.ae_title ? (
          <Alert>{errors.fields.ae_title}</Alert>
        ) : null}
        <FacilityDetailFields value={details} onChange={setDetails} errors={errors} required />
        <div class="field checkbox">
          <input
            id="with-user"
            type="checkbox"
            checked={withUser}
            onChange={(e) => setWithUser((e.target as HTMLInputElement).checked)}
          />
          <label for="with-user">Also create the facility's first user</label>
        </div>
        {withUser ? (
          <fieldset>
            <legend>First facility user</legend>
            <Field label="Username" name="facility_user.username" value={username} onInput={setUsername} autoComplete="off" error={errors.fields["facility_user.username"]} />
            <Field label="Email" name="facility_user.email" type="email" value={userEmail} onInput={setUserEmail} error={errors.fields["facility_user.email"]} />
            <PasswordField
              label="Initial password"
              name="facility_user.password"
              purpose="new"
              value={password}
              onInput={setPassword}
              hint="At least 12 characters; give it to them privately."
              error={errors.fields["facility_user.password"]}
            />
          </fieldset>
        ) : null}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Register facility
          </button>
          <a class="button" href="/facilities">
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
