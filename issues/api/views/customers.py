"""Customers and organizations: /customers/, /organizations/."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import customer_services
from .. import examples, schema
from .. import selectors as api_selectors
from ..base import ID_SCHEMA, ApiViewMixin
from ..idempotency import PARAMETER as IDEMPOTENCY_KEY
from ..idempotency import idempotent
from ..pagination import KeysetPagination
from ..serializers import CustomerInput, CustomerOutput, OrganizationOutput


class _CustomerSearch(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CustomerListCreate(ApiViewMixin, generics.ListAPIView):
    serializer_class = CustomerOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        params = _CustomerSearch(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return api_selectors.list_customers(self.request.user, q=params.validated_data.get("q", ""))

    def get_ordering(self):
        return "name", ("name", "id")

    @extend_schema(
        tags=["customers"],
        summary="Find customers",
        description=(
            "Customers by name, with `q` matching name, email or organization (every word "
            "must match). Customers belong to no team: everyone in a team can look them up."
        ),
        parameters=[OpenApiParameter("q", str, description="Words to look for, e.g. `acme dana`.")],
        examples=[examples.ok("customers", examples.CUSTOMER_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["customers"],
        summary="Add a customer",
        description=(
            "Records a customer; link issues to them by id. Needs a role that can file "
            "issues in some team. Emails are unique (any case). Send an Idempotency-Key "
            "to make retries safe."
        ),
        parameters=[IDEMPOTENCY_KEY, schema.LOCATION],
        request=CustomerInput,
        responses={201: CustomerOutput, 409: schema.ProblemOutput, 422: schema.ProblemOutput},
        examples=[
            examples.request("customer", examples.CUSTOMER_REQUEST),
            examples.ok("created", examples.CUSTOMER_EXAMPLE, status_codes=["201"]),
        ],
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        serializer = CustomerInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = customer_services.create_customer(
            actor=request.user, **serializer.validated_data
        )
        url = request.build_absolute_uri(reverse("api:customer-detail", args=[customer.pk]))
        return Response(
            CustomerOutput(customer, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": url},
        )


@extend_schema(
    tags=["customers"],
    summary="A customer",
    parameters=[
        OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH, description="Customer id.")
    ],
    responses=CustomerOutput,
    description="One customer, by id.",
    examples=[examples.ok("customer", examples.CUSTOMER_EXAMPLE)],
)
class CustomerDetail(ApiViewMixin, APIView):
    def get(self, request, **kwargs):
        customer = api_selectors.get_customer_for_user(request.user, int(kwargs["id"]))
        return Response(CustomerOutput(customer, context={"request": request}).data)


class OrganizationList(ApiViewMixin, generics.ListAPIView):
    serializer_class = OrganizationOutput
    pagination_class = KeysetPagination

    def get_queryset(self):
        params = _CustomerSearch(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return api_selectors.list_organizations(
            self.request.user, q=params.validated_data.get("q", "")
        )

    def get_ordering(self):
        return "name", ("name", "id")

    @extend_schema(
        tags=["customers"],
        summary="Find organizations",
        description=(
            "Organizations group customers; `q` matches their name (every word must "
            "match). A customer's `organization_id` points here. Organizations are "
            "created by naming them when adding a customer."
        ),
        parameters=[OpenApiParameter("q", str, description="Words to look for, e.g. `acme`.")],
        examples=[examples.ok("organizations", examples.ORGANIZATION_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(
    tags=["customers"],
    summary="An organization",
    parameters=[
        OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH, description="Organization id.")
    ],
    responses=OrganizationOutput,
    description="One organization, by id, with how many customers it has.",
    examples=[examples.ok("organization", examples.ORGANIZATION_EXAMPLE)],
)
class OrganizationDetail(ApiViewMixin, APIView):
    def get(self, request, **kwargs):
        org = api_selectors.get_organization_for_user(request.user, int(kwargs["id"]))
        return Response(OrganizationOutput(org, context={"request": request}).data)
