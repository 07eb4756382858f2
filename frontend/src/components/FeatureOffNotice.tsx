import { useMe } from '../hooks/useMe';
import { decidedBy, featureOn, offReason, type FeatureState, type PageFeature } from '../lib/features';
import { can } from '../lib/permissions';
import { catalogHash, flagHash, FLEET_HASH, SETTINGS_HASH, withLastFilters } from '../lib/router';
import { Notice, NoticeBody } from './Notice';

/**
 * What a direct link to a page shows when the page is off: which flag and what it serves, or that the fleet
 * configuration (or the user's own preference) turned it off — and who can change it, with a link where the user
 * may (the flag, the Fleet page, Settings).
 */
export function FeatureOffNotice({ feature, state }: { feature: PageFeature; state: FeatureState }) {
  const { me } = useMe();
  const environment = state.kind === 'loaded' ? state.features.environment : 'production';
  const flagsPageOn = featureOn(state, 'atrium-ui-flags-page') === true;
  const by = decidedBy(state, feature);
  let change;
  if (by === 'user') {
    change = (
      <>
        Turn it back on in <a href={SETTINGS_HASH}>Settings</a>.
      </>
    );
  } else if (by === 'fleet') {
    change = can(me, 'fleet:manage') ? (
      <>
        You may change it on the <a href={FLEET_HASH}>Fleet page</a>; every install applies a push within seconds.
      </>
    ) : (
      <>Ask your platform team to turn it on; the app applies their change within seconds.</>
    );
  } else if (flagsPageOn && can(me, 'flags:write')) {
    change = (
      <>
        You may change it: <a href={flagHash(environment, feature)}>open {feature}</a>; the desktop picks the change up within half a
        minute, then reload.
      </>
    );
  } else if (can(me, 'flags:write')) {
    change = (
      <>
        You may change it with <code>PUT /api/v1/flags/{environment}/{feature}</code> (or <code>POST /api/v1/flags/import</code>); the desktop
        picks the change up within half a minute, then reload.
      </>
    );
  } else {
    change = <>Ask your platform team to turn it on for you; the desktop picks the change up within half a minute.</>;
  }
  return (
    <div className="page">
      <Notice kind="denied" role="alert" testId="feature-off" title="This page is turned off">
        <NoticeBody>{offReason(state, feature)}</NoticeBody>
        <NoticeBody>
          {change}{' '}
          <a href={withLastFilters(catalogHash())}>Go to the catalog</a>.
        </NoticeBody>
      </Notice>
    </div>
  );
}
