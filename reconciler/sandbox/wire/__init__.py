"""How calls reach the local AWS and leave it: WSGI, routing, errors, moto's backends."""
