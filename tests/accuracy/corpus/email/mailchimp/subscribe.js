const mailchimp = require('@mailchimp/mailchimp_marketing');

mailchimp.setConfig({ apiKey: '5b85d40c1f88b42b1cc0469e3d9b3921-us6', server: 'us6' });
