import type { Facet } from '../api/client';

interface Props {
  label: string;
  /** What "no filter" reads as, e.g. "All teams". */
  allLabel: string;
  facets: Facet[] | undefined;
  value: string;
  onChange: (value: string) => void;
}

/** A dropdown filter of the catalog, with how many services have each value. */
export function FacetFilter({ label, allLabel, facets, value, onChange }: Props) {
  const options = facets ?? [];
  const known = value === '' || options.some((f) => f.value === value);
  return (
    <label className={`facet-filter${value ? ' facet-filter-active' : ''}`}>
      <span className="facet-label">{label}</span>
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{allLabel}</option>
        {options.map((f) => (
          <option key={f.value} value={f.value}>
            {f.value} ({f.count})
          </option>
        ))}
        {!known && <option value={value}>{value}</option>}
      </select>
    </label>
  );
}
