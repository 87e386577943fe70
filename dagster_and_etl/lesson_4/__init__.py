"""Lesson 4, completed: ingesting the NASA NeoWs API through a resource."""
