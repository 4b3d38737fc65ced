// Who is signed in. The session is read from the API on start (the cookie is
// invisible here); signing in and out go through /api/v1/auth/session.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { api, useCsrfToken } from "./api";
import type { Session, User } from "./types";

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("no session");
  return session;
}

export function useUser(): User {
  return useSession().user;
}

export function isAdmin(user: User) {
  return user.role === "administrator";
}

export async function currentSession(): Promise<Session | null> {
  try {
    const session = await api<Session>("GET", "/api/v1/auth/session");
    useCsrfToken(session.csrf_token);
    return session;
  } catch {
    return null;
  }
}

export async function signIn(username: string, password: string): Promise<Session> {
  const session = await api<Session>("POST", "/api/v1/auth/session", { username, password });
  useCsrfToken(session.csrf_token);
  return session;
}

export async function signOut() {
  await api<void>("DELETE", "/api/v1/auth/session");
  useCsrfToken("");
}
