"""Partners as data: organisations, locations, contracts, partner users, devices and offers."""
