import { useTitle } from "../hooks";

export function NotFoundPage() {
  useTitle("Not found");
  return (
    <section class="page" aria-labelledby="not-found-title">
      <h1 id="not-found-title">Not found</h1>
      <p>There is nothing here, or nothing you have access to.</p>
      <p>
        <a href="/worklist">Go to the worklist</a>
      </p>
    </section>
  );
}
