import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { onSessionExpired } from "./api";
import { Dialog } from "./components";
import { Layout } from "./layout";
import { SignInForm } from "./pages/sign_in";
import { Routes } from "./routes";
import { currentSession, SessionContext } from "./session";
import type { Session } from "./types";
import "./styles.css";

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  // Set while a request waits for the user to sign in again.
  const [expired, setExpired] = useState<(() => void) | null>(null);

  useEffect(() => {
    currentSession().then(setSession);
  }, []);

  useEffect(() => {
    if (!session) {
      onSessionExpired(null);
      return;
    }
    onSessionExpired(
      () =>
        new Promise<void>((resolve) => {
          setExpired(() => resolve);
        }),
    );
  }, [session?.user.id]);

  if (session === undefined) return null;
  if (session === null) {
    return (
      <main class="sign-in-page" id="main">
        <SignInForm onSignedIn={setSession} />
      </main>
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout onSignedOut={() => setSession(null)}>
        <Routes />
      </Layout>
      {expired ? (
        <Dialog title="Your session has ended" onClose={() => undefined}>
          <p>Sign in again to carry on where you were. Nothing on this page is lost.</p>
          <SignInForm
            embedded
            username={session.user.username}
            onSignedIn={(next) => {
              setSession(next);
              expired();
              setExpired(null);
            }}
          />
        </Dialog>
      ) : null}
    </SessionContext.Provider>
  );
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
