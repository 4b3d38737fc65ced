// The pieces every page is made of: labelled fields that show the API's field
// errors beside them, a modal dialog that keeps focus inside it, alerts, and
// formatting of sizes and times.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";

/** What a form submission failed with: by field when the API named one. */
export interface FormErrors {
  fields: Record<string, string>;
  general?: string;
}

export const noErrors: FormErrors = { fields: {} };

/** Maps an API refusal onto the form's fields; `aliases` renames API fields. */
export function formErrors(error: unknown, aliases: Record<string, string> = {}): FormErrors {
  if (error instanceof ApiError) {
    if (error.field) return { fields: { [aliases[error.field] ?? error.field]: error.message } };
    return { fields: {}, general: error.message };
  }
  return { fields: {}, general: String(error) };
}

export type InputType = "text" | "password" | "email" | "tel" | "search" | "date" | "datetime-local" | "number";

/** What every control shares: a visible label, an optional hint, and the error the API named it in. */
interface Labelled {
  label: string;
  name: string;
  error?: string;
  hint?: ComponentChildren;
  required?: boolean;
}

/** Wraps a control with its label, hint and error, and gives it the ids that tie them together. */
function Frame(props: Labelled & { control: (ids: { id: string; described?: string; invalid?: "true" }) => ComponentChildren }) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const described = [props.hint ? hintId : "", props.error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={props.error ? "field invalid" : "field"}>
      <label for={id}>
        {props.label}
        {props.required ? <span class="required"> (required)</span> : null}
      </label>
      {props.control({ id, described, invalid: props.error ? "true" : undefined })}
      {props.hint ? (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="error" id={errorId} data-field-error={props.name}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

export function Field(
  props: Labelled & {
    value: string;
    onInput: (value: string) => void;
    type?: InputType;
    autoComplete?: string;
    maxLength?: number;
  },
) {
  return (
    <Frame
      {...props}
      control={({ id, described, invalid }) => (
        <input
          id={id}
          name={props.name}
          // Preact types each input type's attributes apart; these all take the same ones.
          type={(props.type ?? "text") as "text"}
          value={props.value}
          required={props.required}
          autoComplete={props.autoComplete}
          maxLength={props.maxLength}
          aria-invalid={invalid}
          aria-describedby={described}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        />
      )}
    />
  );
}

/** A password field; `purpose` tells password managers whether to fill or to suggest. */
export function PasswordField(props: Labelled & { value: string; onInput: (value: string) => void; purpose: "current" | "new" }) {
  return <Field {...props} type="password" autoComplete={props.purpose === "current" ? "current-password" : "new-password"} />;
}

export function Select(props: Labelled & { value: string; onChange: (value: string) => void; options: Array<[string, string]> }) {
  return (
    <Frame
      {...props}
      control={({ id, described, invalid }) => (
        <select
          id={id}
          name={props.name}
          value={props.value}
          required={props.required}
          aria-invalid={invalid}
          aria-describedby={described}
          onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
        >
          {props.options.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      )}
    />
  );
}

export function TextArea(props: Labelled & { value: string; onInput: (value: string) => void; rows?: number }) {
  return (
    <Frame
      {...props}
      control={({ id, described, invalid }) => (
        <textarea
          id={id}
          name={props.name}
          rows={props.rows ?? 12}
          value={props.value}
          aria-invalid={invalid}
          aria-describedby={described}
          onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
        />
      )}
    />
  );
}

/** A filter on the active flag, as list pages offer it. */
export function ActiveFilter(props: { value: string; onChange: (value: string) => void }) {
  return (
    <Select
      label="Status"
      name="active"
      value={props.value}
      onChange={props.onChange}
      options={[
        ["all", "All"],
        ["active", "Active"],
        ["inactive", "Inactive"],
      ]}
    />
  );
}

export function Alert(props: { kind?: "error" | "info" | "success"; children: ComponentChildren }) {
  const kind = props.kind ?? "error";
  return (
    <div class={`alert ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/**
 * A modal dialog. The native `<dialog>` shown with `showModal()` makes the rest
 * of the page inert, so focus cannot leave it; Escape closes it.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    const close = (event: Event) => {
      event.preventDefault();
      props.onClose();
    };
    dialog?.addEventListener("cancel", close);
    return () => dialog?.removeEventListener("cancel", close);
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} class="dialog">
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/** A confirmation that says what the action does before it is done. */
export function Confirm(props: {
  title: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  danger?: boolean;
  children: ComponentChildren;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirm = async () => {
    setBusy(true);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(formErrors(e).general ?? Object.values(formErrors(e).fields)[0]);
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      {props.children}
      {error ? <Alert>{error}</Alert> : null}
      <div class="actions">
        <button type="button" class={props.danger ? "danger" : "primary"} disabled={busy} onClick={confirm}>
          {props.confirmLabel}
        </button>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

/**
 * A table's box, which scrolls sideways on a narrow screen; it takes focus so
 * a keyboard can scroll it too, and names itself.
 */
export function TableRegion(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

/** Filters, folded away on a phone until asked for, open on a wider screen. */
export function FilterPanel(props: { children: ComponentChildren }) {
  const [open] = useState(() => window.matchMedia("(min-width: 641px)").matches);
  return (
    <details class="filter-panel" open={open}>
      <summary>Filters</summary>
      {props.children}
    </details>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status">
      Loading…
    </p>
  );
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** DICOM DA (YYYYMMDD) as a readable date. */
export function dicomDate(da: string | null | undefined): string {
  if (!da || !/^\d{8}$/.test(da)) return da ?? "—";
  return `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}`;
}

/** DICOM PN (`FAMILY^GIVEN`) as `FAMILY, GIVEN`. */
export function personName(pn: string | null | undefined): string {
  if (!pn) return "—";
  const [family, given] = pn.split("^");
  return given ? `${family}, ${given}` : family;
}

export const label = {
  status: { received: "Received", in_review: "In review", reported: "Reported" } as Record<string, string>,
  priority: { routine: "Routine", urgent: "Urgent", stat: "STAT" } as Record<string, string>,
  role: { administrator: "Administrator", radiologist: "Radiologist", facility_user: "Facility user" } as Record<
    string,
    string
  >,
};
