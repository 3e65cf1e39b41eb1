"""The second factor: TOTP codes with recovery codes (:mod:`.operations`), security keys (:mod:`.keys`),
the sign-in step and the enrolment pages (:mod:`.views`)."""
