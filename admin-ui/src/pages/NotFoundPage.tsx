import { EmptyState, PageHeader } from '../components/ui.js';
import { Link } from '../router.js';

export function NotFoundPage() {
  return (
    <div>
      <PageHeader title="Page not found" />
      <EmptyState title="There is no console page at this address.">
        <Link href="/">Back to the overview</Link>
      </EmptyState>
    </div>
  );
}
