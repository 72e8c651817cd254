"""The bundled AI service catalogue, installed as the package `shadowscan.catalogue`."""
