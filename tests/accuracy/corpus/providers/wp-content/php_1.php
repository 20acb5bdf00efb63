<?php

define('RUNNER_TOKEN', 'glrt-t1_vSkhtXySfB3CU3v0sBF9');

define('STRIPE_TEST_KEY', 'sk_test_RR7Tl0YL0gJqaIHgtfpTTNeeLojSZhloiIMpzqWaR1PSJfRPquHF8ajqXJ54iHbl4I07t3c5WY3doYDgh6SOqIK4QX6fHIE5uj2');

define('NUGET_API_KEY', 'oy2t1i9oigm2sv7hbjkoi3ht6p9wp64aj0gob86q3usd9q');

define('NEW_RELIC_API_KEY', 'NRAK-TSKGXC3GUBQSF464N8L2RIXD3R8');

define('LINEAR_API_KEY', 'lin_api_poeFM8wciNCMniHUKBUc0q7cvN3lXy0d7Vfb2tZg');

define('ZENDESK_API_TOKEN', 'uL9zqgkQr61J0OLOt5sZDZadeIAbXtz3A76Dzcmu');
