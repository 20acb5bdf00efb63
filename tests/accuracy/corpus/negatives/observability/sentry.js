Sentry.init({ dsn: 'https://25e5c7f270ac88a6adbdf090029b37e8@o326999.ingest.sentry.io/4929067' });
Sentry.init({ dsn: 'https://51311e66aae4cd04e9b6518a79a4ff93@o832903.ingest.sentry.io/1889362' });
Sentry.init({ dsn: 'https://cc948607fd06106c5f172287fc527ec3@o560734.ingest.sentry.io/4306889' });
