// Which page a path shows, by role. A path a role may not use shows the same
// not-found page as a path that does not exist.
import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Alert, Loading } from "./components";
import { match, navigate, useLocation } from "./router";
import { useUser } from "./session";
import { AccountPage } from "./pages/account";
import { AuditPage } from "./pages/audit";
import { DashboardPage } from "./pages/dashboard";
import { FacilityPage } from "./pages/facility";
import { FacilitiesPage } from "./pages/facilities";
import { NewFacilityPage } from "./pages/facility_new";
import { DicomSheetPage } from "./pages/dicom_sheet";
import { NotFoundPage } from "./pages/not_found";
import { SecurityPage } from "./pages/security";
import { StudyPage } from "./pages/study";
import { UsersPage } from "./pages/users";
import { NewUserPage } from "./pages/user_new";
import { UserPage } from "./pages/user";
import { UploadPage } from "./pages/upload";
import { WorklistPage } from "./pages/worklist";

export function Routes() {
  const user = useUser();
  const { path } = useLocation();
  const admin = user.role === "administrator";

  useEffect(() => {
    if (path === "/" && !admin) navigate("/worklist", { replace: true });
  }, [path, admin]);

  let params: Record<string, string> | null;
  if (path === "/" && admin) return <DashboardPage />;
  if (path === "/worklist") return <WorklistPage />;
  if ((params = match("/studies/:id/viewer", path))) return <Viewer id={params.id} />;
  if ((params = match("/studies/:id", path))) return <StudyPage id={params.id} />;
  if (path === "/account") return <AccountPage />;
  // Sending is for the facility's staff and administrators, as the access table says.
  if (path === "/upload" && user.role !== "radiologist") return <UploadPage />;
  if (user.role === "facility_user" && path === "/facility" && user.facility_id) {
    return <DicomSheetPage id={user.facility_id} />;
  }
  if (admin) {
    if (path === "/facilities") return <FacilitiesPage />;
    if (path === "/facilities/new") return <NewFacilityPage />;
    if ((params = match("/facilities/:id/sheet", path))) return <DicomSheetPage id={params.id} />;
    if ((params = match("/facilities/:id", path))) return <FacilityPage id={params.id} />;
    if (path === "/users") return <UsersPage />;
    if (path === "/users/new") return <NewUserPage />;
    if ((params = match("/users/:id", path))) return <UserPage id={params.id} />;
    if (path === "/audit") return <AuditPage />;
    if (path === "/security") return <SecurityPage />;
  }
  if (path === "/" && !admin) return null;
  return <NotFoundPage />;
}

/** The viewer's code (Cornerstone3D and its codecs) loads only when a study is opened in it. */
function Viewer(props: { id: string }) {
  const [Page, setPage] = useState<FunctionComponent<{ id: string }> | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import("./viewer/page").then((module) => setPage(() => module.default), () => setFailed(true));
  }, []);
  if (failed) return <Alert>The viewer could not be loaded. Reload the page to try again.</Alert>;
  return Page ? <Page id={props.id} /> : <Loading />;
}
