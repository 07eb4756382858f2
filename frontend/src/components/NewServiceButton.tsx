import { useFeatures } from '../hooks/useFeatures';
import { useMe } from '../hooks/useMe';
import { showInNav } from '../lib/features';
import { can } from '../lib/permissions';
import { newServiceHash } from '../lib/router';

/** "New service", for whoever may request actions for some team (once /me says so) while self-service is on. */
export function NewServiceButton() {
  const { me } = useMe();
  const features = useFeatures();
  if (!can(me, 'actions:request') || !showInNav(features, 'atrium-ui-self-service')) return null;
  return (
    <a className="button button-primary" href={newServiceHash()}>
      New service
    </a>
  );
}
