/**
 * The document's title, "<page> · <project> · labelhub", so that a screen reader says where a navigation landed
 * (WCAG 2.4.2). The app sets the page's name from its route; pages with a project tell its name when they have
 * loaded it (`rememberProject`), the item page its item's name (`rememberItem`).
 */

/** Project names by id, and the item page's item (by its path). */
export const titleParts = $state<{ projects: Record<number, string>; item: { path: string; name: string } | null }>({
  projects: {},
  item: null,
});

export function rememberProject(p: { id: number; name: string } | null | undefined): void {
  if (p && titleParts.projects[p.id] !== p.name) titleParts.projects[p.id] = p.name;
}

export function rememberItem(path: string, name: string | null | undefined): void {
  if (name && (titleParts.item?.path !== path || titleParts.item.name !== name)) titleParts.item = { path, name };
}

/** The names of the routes' pages (the app's route patterns). */
export const PAGE_NAMES: Readonly<Record<string, string>> = {
  '/projects': 'Projects',
  '/projects/new': 'New project',
  '/projects/:pid': 'Items',
  '/projects/:pid/settings': 'Settings',
  '/projects/:pid/activity': 'Activity',
  '/projects/:pid/agreement': 'Agreement',
  '/projects/:pid/alerts': 'Alerts',
  '/projects/:pid/workload': 'Workload',
  '/projects/:pid/review': 'Review queue',
  '/projects/:pid/search': 'Search',
  '/projects/:pid/duplicates': 'Duplicates',
  '/projects/:pid/map': 'Map',
  '/projects/:pid/models': 'Models',
  '/projects/:pid/webhooks': 'Webhooks',
  '/projects/:pid/items/:iid': 'Item',
  '/jobs': 'Jobs',
  '': 'Page not found',
};

/** "<page> · <project> · labelhub", leaving out the parts not known. */
export function titleText(page: string | null | undefined, project?: string | null): string {
  return [page, project, 'labelhub'].filter((p) => p).join(' · ');
}
