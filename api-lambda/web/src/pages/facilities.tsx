import { ActiveFilter, Alert, Loading, dateTime, TableRegion } from "../components";
import { useResource, useTitle, useUrlFilters } from "../hooks";
import type { Facility } from "../types";

export function FacilitiesPage() {
  useTitle("Facilities");
  const [params, setFilters] = useUrlFilters("/facilities");
  const search = params.get("q") ?? "";
  const active = params.get("active") ?? "all";
  const facilities = useResource<Facility[]>("/api/v1/facilities");

  const setFilter = (key: string, value: string) => setFilters({ [key]: value });

  const needle = search.trim().toLowerCase();
  const shown = (facilities.data ?? [])
    .filter((f) => active === "all" || (active === "active") === f.active)
    .filter(
      (f) =>
        !needle ||
        [f.name, f.ae_title, f.license_number, f.email].some((value) => value.toLowerCase().includes(needle)),
    )
    .sort((a, b) => a.name.localeCompare(b.name));

  return (
    <section class="page" aria-labelledby="facilities-title">
      <div class="page-head">
        <h1 id="facilities-title">Facilities</h1>
        <div class="actions">
          <a class="button" href="/api/v1/facilities/export?format=csv" download="facilities.csv">
            Export CSV
          </a>
          <a class="button primary" href="/facilities/new">
            Register a facility
          </a>
        </div>
      </div>
      <form class="filters" role="search" aria-label="Filter facilities" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="facility-search">Search by name, AE title, licence or email</label>
          <input
            id="facility-search"
            type="search"
            value={search}
            onInput={(e) => setFilter("q", (e.target as HTMLInputElement).value)}
          />
        </div>
        <ActiveFilter value={active} onChange={(value) => setFilter("active", value)} />
      </form>
      {facilities.error ? <Alert>{facilities.error.message}</Alert> : null}
      {facilities.loading && !facilities.data ? <Loading /> : null}
      {facilities.data ? (
        <TableRegion label="Registered facilities">
          <table>
            <caption class="visually-hidden">Registered facilities</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Calling AE title</th>
                <th scope="col">Licence</th>
                <th scope="col">Status</th>
                <th scope="col">Registered</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => (
                <tr key={f.id}>
                  <td>
                    <a href={`/facilities/${f.id}`}>{f.name}</a>
                  </td>
                  <td>
                    <code>{f.ae_title}</code>
                  </td>
                  <td>{f.license_number}</td>
                  <td>
                    <span class={f.active ? "badge ok" : "badge off"}>{f.active ? "Active" : "Inactive"}</span>
                  </td>
                  <td>{dateTime(f.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 ? <p class="empty">No facility matches.</p> : null}
        </TableRegion>
      ) : null}
    </section>
  );
}
