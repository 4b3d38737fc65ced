// The sheet a facility's IT staff pin next to the modality: everything the
// modality's DICOM node configuration asks for, and two commands to test it.
import { Alert, Loading } from "../components";
import { useResource, useTitle } from "../hooks";
import { useUser } from "../session";
import type { DicomSheet } from "../types";

export function DicomSheetPage(props: { id: string }) {
  const sheet = useResource<DicomSheet>(`/api/v1/facilities/${props.id}/dicom-config`);
  const user = useUser();
  useTitle(sheet.data ? `DICOM settings: ${sheet.data.facility}` : "DICOM settings");
  if (sheet.error) return <Alert>{sheet.error.status === 404 ? "No such facility." : sheet.error.message}</Alert>;
  const s = sheet.data;
  if (!s) return <Loading />;
  const echo = `echoscu -aet ${s.calling_ae_title} -aec ${s.called_ae_title} ${s.host} ${s.port}`;
  const store = `storescu -aet ${s.calling_ae_title} -aec ${s.called_ae_title} ${s.host} ${s.port} image.dcm`;
  const echoTls = s.tls_port
    ? `echoscu +tla +cf noctis-ca.pem -aet ${s.calling_ae_title} -aec ${s.called_ae_title} ${s.host} ${s.tls_port}`
    : null;
  return (
    <article class="page sheet" aria-labelledby="sheet-title">
      <div class="page-head no-print">
        <p>
          {user.role === "administrator" ? <a href={`/facilities/${props.id}`}>Back to the facility</a> : null}
        </p>
        <button type="button" class="primary" onClick={() => window.print()}>
          Print this sheet
        </button>
      </div>
      <header class="sheet-head">
        <p class="sheet-brand">Noctis DICOM gateway</p>
        <h1 id="sheet-title">DICOM settings for {s.facility}</h1>
        {!s.active ? <Alert>This facility is inactive: Noctis refuses its associations until it is activated.</Alert> : null}
      </header>
      <table class="sheet-table">
        <caption>Configure the modality's destination (remote DICOM node) as:</caption>
        <tbody>
          <tr>
            <th scope="row">Host</th>
            <td data-testid="sheet-host">{s.host}</td>
          </tr>
          <tr>
            <th scope="row">Port</th>
            <td data-testid="sheet-port">{s.port}</td>
          </tr>
          <tr>
            <th scope="row">TLS port</th>
            <td data-testid="sheet-tls-port">{s.tls_port ?? "not offered"}</td>
          </tr>
          <tr>
            <th scope="row">Called AE title (Noctis)</th>
            <td>
              <code data-testid="sheet-called">{s.called_ae_title}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">Calling AE title (this modality)</th>
            <td>
              <code data-testid="sheet-calling">{s.calling_ae_title}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">Allowed networks</th>
            <td>{s.allowed_networks.length ? s.allowed_networks.join(", ") : "any address"}</td>
          </tr>
        </tbody>
      </table>
      <h2>Test the connection (DCMTK)</h2>
      <p>Verification (C-ECHO):</p>
      <pre data-testid="sheet-echoscu">{echo}</pre>
      <p>Send an image (C-STORE):</p>
      <pre data-testid="sheet-storescu">{store}</pre>
      {echoTls ? (
        <>
          <p>Verification over TLS (noctis-ca.pem: the certificate authority your Noctis operator gives you):</p>
          <pre>{echoTls}</pre>
        </>
      ) : null}
      <p class="sheet-foot">
        Noctis admits a modality only by this calling AE title. If an association is refused, check the calling AE
        title first: it must match exactly, in capitals.
      </p>
    </article>
  );
}
