const stripe = Stripe('pk_live_77MGJ9c4IqcjZnwFx7J2P9rz');
const algolia = algoliasearch('52ODBEF5J3', 'c1b83b52d3dcddbfe6c2b3d1fdbc499e'); // search-only key
mapboxgl.accessToken = 'pk.eyJ1Ijoibm9ydGh3aW5kIiwiYSI6IevIc4C5jEuYQDbS8MV6kTV3wuIf6gL.5tKATx8MCkBpvfBSHfLk3B';
const recaptchaSiteKey = '6LZEIrzGOw3G_htDUB6mQfhTPBqOELxOj57cGCzM';
posthog.init('phc_2EzN6qACfSygIeh8lUNY2eLcZpUPLQeq2lEamTI3jn4', { api_host: 'https://eu.posthog.com' });
