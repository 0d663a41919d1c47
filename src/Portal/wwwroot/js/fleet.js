// The portal's own browser helpers, called through Blazor's JS interop.
window.fleetViewer = {
    // The viewer's time zone: an IANA id where the browser knows one, and the current offset east of UTC.
    zone: () => ({
        id: Intl.DateTimeFormat().resolvedOptions().timeZone || null,
        offsetMinutes: -new Date().getTimezoneOffset(),
    }),
    // Remembers the theme picked with the app bar's toggle (read back by ThemePreference on the next request).
    chooseTheme: (scheme) => {
        document.cookie = `fleet-theme=${scheme}; path=/; max-age=31536000; samesite=lax`;
        document.documentElement.className = `fleet-${scheme}`;
    },
};
