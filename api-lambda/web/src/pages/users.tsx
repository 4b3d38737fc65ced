import { ActiveFilter, Alert, Loading, Select, label, TableRegion } from "../components";
import { useResource, useTitle, useUrlFilters } from "../hooks";
import type { Facility, User } from "../types";

export function UsersPage() {
  useTitle("Users");
  const [params, setFilters] = useUrlFilters("/users");
  const users = useResource<User[]>("/api/v1/users");
  const facilities = useResource<Facility[]>("/api/v1/facilities");
  const role = params.get("role") ?? "all";
  const facility = params.get("facility") ?? "all";
  const active = params.get("active") ?? "all";
  const search = params.get("q") ?? "";
  const names = new Map((facilities.data ?? []).map((f) => [f.id, f.name]));

  const setFilter = (key: string, value: string) => setFilters({ [key]: value });

  const needle = search.trim().toLowerCase();
  const shown = (users.data ?? [])
    .filter((u) => role === "all" || u.role === role)
    .filter((u) => facility === "all" || u.facility_id === facility)
    .filter((u) => active === "all" || (active === "active") === u.active)
    .filter((u) => !needle || u.username.toLowerCase().includes(needle) || u.email.toLowerCase().includes(needle))
    .sort((a, b) => a.username.localeCompare(b.username));

  return (
    <section class="page" aria-labelledby="users-title">
      <div class="page-head">
        <h1 id="users-title">Users</h1>
        <a class="button primary" href="/users/new">
          Create a user
        </a>
      </div>
      <form class="filters" role="search" aria-label="Filter users" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="user-search">Search by username or email</label>
          <input id="user-search" type="search" value={search} onInput={(e) => setFilter("q", (e.target as HTMLInputElement).value)} />
        </div>
        <Select
          label="Role"
          name="role"
          value={role}
          onChange={(v) => setFilter("role", v)}
          options={[["all", "All roles"], ...Object.entries(label.role)]}
        />
        <Select
          label="Facility"
          name="facility"
          value={facility}
          onChange={(v) => setFilter("facility", v)}
          options={[["all", "All facilities"], ...(facilities.data ?? []).map((f): [string, string] => [f.id, f.name])]}
        />
        <ActiveFilter value={active} onChange={(v) => setFilter("active", v)} />
      </form>
      {users.error ? <Alert>{users.error.message}</Alert> : null}
      {users.loading && !users.data ? <Loading /> : null}
      {users.data ? (
        <TableRegion label="Users">
          <table>
            <caption class="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Facility</th>
                <th scope="col">Email</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((u) => (
                <tr key={u.id}>
                  <td>
                    <a href={`/users/${u.id}`}>{u.username}</a>
                  </td>
                  <td>{label.role[u.role]}</td>
                  <td>{u.facility_id ? (names.get(u.facility_id) ?? "—") : "—"}</td>
                  <td>{u.email}</td>
                  <td>
                    <span class={u.active ? "badge ok" : "badge off"}>{u.active ? "Active" : "Inactive"}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 ? <p class="empty">No user matches.</p> : null}
        </TableRegion>
      ) : null}
    </section>
  );
}
