/** Rampart's mark, drawn inline (no request, nothing to wait for). */
export function Logo({ size = 24 }: { size?: number }) {
  return (
    <svg className="logo" viewBox="0 0 32 32" width={size} height={size} aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#1f4e8c" />
      <path d="M8 9h4v3h3V9h2v3h3V9h4v6l-2 2v7H10v-7l-2-2z" fill="#fff" />
    </svg>
  );
}
