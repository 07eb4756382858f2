import { api } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { can, whyNot } from '../lib/permissions';
import { catalogHash, newServiceHash, withLastFilters } from '../lib/router';
import { NewServiceForm } from '../components/NewServiceForm';
import { EmptyState, ErrorState, LoadingState, Notice, NoticeBody } from '../components/Notice';
import { PermissionNotice } from '../components/PermissionNotice';
import { TemplatePicker } from '../components/TemplatePicker';
import styles from './NewServicePage.module.css';

interface Props {
  /** The template picked (from the URL); empty: pick one. */
  template: string;
  portalKey: string;
}

/**
 * "New service": pick one of the golden path's templates, fill in the form its parameter schema makes, review the
 * dry run — every file, the pull request, the manifests, the steps — and create it. Offered to whoever may request
 * actions for some team.
 */
export function NewServicePage({ template, portalKey }: Props) {
  const { me } = useMe();
  const mayRequest = !me || can(me, 'actions:request');
  const list = useLoad((signal) => api.listTemplates(signal), portalKey, { enabled: mayRequest });
  const templates = list.data;
  const picked = templates?.find((t) => t.name === template);

  const head = (
    <>
      <nav className="breadcrumb">
        {template ? <a href={newServiceHash()}>← All templates</a> : <a href={withLastFilters(catalogHash())}>← Catalog</a>}
      </nav>
      <h1>{picked ? `New service from ${picked.title}` : 'New service'}</h1>
    </>
  );

  let body;
  if (me && !mayRequest) {
    body = <PermissionNotice title="You cannot create services" reason={whyNot(me, 'actions:request')} />;
  } else if (!templates) {
    body =
      list.error?.code === 'not_configured' ? (
        <EmptyState title="This portal has no golden path">
          <p>{list.error.message}</p>
        </EmptyState>
      ) : list.error ? (
        <ErrorState title="The templates could not be loaded" error={list.error} onRetry={list.reload} />
      ) : (
        <LoadingState>Loading the templates…</LoadingState>
      );
  } else if (!template) {
    body = (
      <>
        <p className="page-lead">
          Pick a starting point. Each template makes the whole service: its repository with the code, Dockerfile, CI and CODEOWNERS,
          its catalog entry, the infrastructure pull request, and hello-world running in the dev cluster. You review the full plan
          before anything is created.
        </p>
        {templates.length === 0 ? (
          <EmptyState title="This portal offers no templates yet">
            <p>The platform team adds them to the templates repository the portal syncs (docs/templates.md).</p>
          </EmptyState>
        ) : (
          <TemplatePicker templates={templates} />
        )}
      </>
    );
  } else if (!picked || picked.broken) {
    body = (
      <>
        <Notice kind="empty" role="alert" title={picked ? `The template ${template} cannot be used` : `There is no template named ${template}`}>
          <NoticeBody>
            {picked ? 'It did not load; its card below lists why.' : 'It may have been renamed or removed.'} Pick another one.
          </NoticeBody>
        </Notice>
        <TemplatePicker templates={templates} />
      </>
    );
  } else {
    body = (
      <>
        <p className={styles.picked}>
          <span className={styles.language}>{picked.language}</span> {picked.description}{' '}
          <a href={newServiceHash()}>Choose another template</a>
        </p>
        <NewServiceForm key={`${picked.name}@${picked.version}`} template={picked} portalKey={portalKey} />
      </>
    );
  }
  return (
    <div className={`page ${styles.page}`}>
      {head}
      {body}
    </div>
  );
}
