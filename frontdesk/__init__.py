"""frontdesk: the platform-neutral core of the hotline front desk."""
