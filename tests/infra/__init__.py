"""Pulumi mocks tests of infra/ components and stacks/ programs."""
