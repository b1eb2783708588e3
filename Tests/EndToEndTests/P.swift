// End-to-end tests with real MTAs: see MTAEndToEndTests.swift.
import Testing
