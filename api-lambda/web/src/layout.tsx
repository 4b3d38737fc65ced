// The frame around every signed-in page. Navigation is built from the role:
// what a role may not use is not offered at all.
import type { ComponentChildren } from "preact";
import { followLink, navigate, useLocation } from "./router";
import { isAdmin, signOut, useUser } from "./session";
import { label } from "./components";

interface NavItem {
  href: string;
  text: string;
}

function navigation(role: string): NavItem[] {
  const worklist = { href: "/worklist", text: "Worklist" };
  if (role === "administrator") {
    return [
      { href: "/", text: "Dashboard" },
      worklist,
      { href: "/upload", text: "Upload" },
      { href: "/facilities", text: "Facilities" },
      { href: "/users", text: "Users" },
      { href: "/audit", text: "Audit log" },
      { href: "/security", text: "Security" },
    ];
  }
  if (role === "facility_user") {
    return [worklist, { href: "/upload", text: "Upload" }, { href: "/facility", text: "DICOM settings" }];
  }
  return [worklist];
}

function isCurrent(href: string, path: string) {
  return href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`);
}

export function Layout(props: { children: ComponentChildren; onSignedOut: () => void }) {
  const user = useUser();
  const { path } = useLocation();
  const leave = async () => {
    try {
      await signOut();
    } finally {
      props.onSignedOut();
      navigate("/", { replace: true });
    }
  };
  return (
    <div class="shell" onClick={followLink}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={isAdmin(user) ? "/" : "/worklist"}>
          Noctis
        </a>
        <nav aria-label="Main">
          <ul>
            {navigation(user.role).map((item) => (
              <li key={item.href}>
                <a href={item.href} aria-current={isCurrent(item.href, path) ? "page" : undefined}>
                  {item.text}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <a href="/account" aria-current={path === "/account" ? "page" : undefined}>
            {user.username}
            <span class="muted"> · {label.role[user.role]}</span>
          </a>
          <button type="button" class="link" onClick={leave}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
