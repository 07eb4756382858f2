import { useMe } from '../hooks/useMe';
import { featureOn, offReason, type FeatureState, type PageFeature } from '../lib/features';
import { can } from '../lib/permissions';
import { catalogHash, flagHash, withLastFilters } from '../lib/router';
import { Notice, NoticeBody } from './Notice';

/**
 * What a direct link to a page shows when the portal's feature flag turns the page off: which flag, what it
 * serves, and who can change it (with a link to the flag when the Flags page is on and the user may write flags).
 */
export function FeatureOffNotice({ feature, state }: { feature: PageFeature; state: FeatureState }) {
  const { me } = useMe();
  const environment = state.kind === 'loaded' ? state.features.environment : 'production';
  const flagsPageOn = featureOn(state, 'atrium-ui-flags-page') === true;
  return (
    <div className="page">
      <Notice kind="denied" role="alert" testId="feature-off" title="This page is turned off">
        <NoticeBody>{offReason(state, feature)}</NoticeBody>
        <NoticeBody>
          {flagsPageOn && can(me, 'flags:write') ? (
            <>
              You may change it: <a href={flagHash(environment, feature)}>open {feature}</a>; the desktop picks the change up within
              half a minute, then reload.
            </>
          ) : can(me, 'flags:write') ? (
            <>
              You may change it with <code>PUT /api/v1/flags/{environment}/{feature}</code> (or <code>POST /api/v1/flags/import</code>); the
              desktop picks the change up within half a minute, then reload.
            </>
          ) : (
            <>Ask your platform team to turn it on for you; the desktop picks the change up within half a minute.</>
          )}{' '}
          <a href={withLastFilters(catalogHash())}>Go to the catalog</a>.
        </NoticeBody>
      </Notice>
    </div>
  );
}
