// A role and, for a facility user only, its facility: the form cannot pair
// them any other way.
import { Select, label, type FormErrors } from "../components";
import type { Facility } from "../types";

export function RoleFields(props: {
  role: string;
  facility: string;
  onRole: (role: string) => void;
  onFacility: (facility: string) => void;
  facilities: Facility[];
  errors: FormErrors;
}) {
  return (
    <>
      <Select label="Role" name="role" value={props.role} onChange={props.onRole} options={Object.entries(label.role)} error={props.errors.fields.role} />
      {props.role === "facility_user" ? (
        <Select
          label="Facility"
          name="facility_id"
          value={props.facility}
          onChange={props.onFacility}
          required
          options={[["", "Choose the facility"], ...props.facilities.map((f): [string, string] => [f.id, f.name])]}
          error={props.errors.fields.facility_id}
        />
      ) : null}
    </>
  );
}

/** The request fields a role choice becomes. */
export function roleBody(role: string, facility: string) {
  return { role, facility_id: role === "facility_user" ? facility || null : null };
}
