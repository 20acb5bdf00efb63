<?php

define('GROQ_API_KEY', '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');
