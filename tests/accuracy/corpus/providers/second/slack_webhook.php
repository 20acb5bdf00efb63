<?php

define('ALERTS_WEBHOOK', 'https://hooks.slack.com/services/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');
