'use strict';

const GITHUB_REFRESH_TOKEN = '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';

const DISCORD_WEBHOOK = 'https://discord.com/api/webhooks/1207504658399841538/P1KK3t7vDDhI9RDCU7aeY0IT_nYnm13-RRVoowku3Jzqbvs-msiHKOwWOZxAc440bJtu';

const COHERE_API_KEY = 'HbYIDZQmWeYa34meZkN08P3iBArkzTigimXo1xqM';

const SUPABASE_ACCESS_TOKEN = 'sbp_f308fa46ce4cd85d1b25428875875270d2275e81';

const DOPPLER_TOKEN = 'dp.pt.1oznH6GhW6XLtdQz6eAm4uVaAdj3igmABvjPTNTIXnb';

const LANGCHAIN_API_KEY = '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';

module.exports = {};
