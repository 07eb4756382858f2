import type { MouseEvent, ReactNode } from 'react';
import { isSafeUrl, openExternal } from '../lib/external';

interface Props {
  href: string;
  children: ReactNode;
  className?: string;
  title?: string;
}

/** A link that leaves Atrium: opened by the OS browser in the desktop app, in a new tab in a browser. */
export function ExternalLink({ href, children, className, title }: Props) {
  if (!isSafeUrl(href)) {
    return (
      <span className={className} title={title ?? href}>
        {children}
      </span>
    );
  }
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    e.stopPropagation();
    if (openExternal(href)) e.preventDefault();
  };
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" className={className} title={title} onClick={onClick}>
      {children}
    </a>
  );
}
