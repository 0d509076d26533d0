from django.urls import path

from orders import views
from orders.outbound import views as outbound_views

app_name = "orders"
urlpatterns = [
    path("", views.index, name="index"),
    path("po/<uuid:public_id>/", views.po_detail, name="po_detail"),
    path("po/<uuid:public_id>/redecide/", views.po_redecide, name="po_redecide"),
    path("acknowledgements/<uuid:public_id>/approve/", views.ack_approve, name="ack_approve"),
    path("items/", views.items, name="items"),
    path("cross-references/", views.cross_references, name="cross_references"),
    path("cross-references/add/", views.cross_reference_add, name="cross_reference_add"),
    path("cross-references/import/", views.cross_reference_import, name="cross_reference_import"),
    path(
        "cross-references/<uuid:public_id>/delete/",
        views.cross_reference_delete,
        name="cross_reference_delete",
    ),
    # Orders out (issue 8)
    path("shipments/", outbound_views.shipment_list, name="shipments"),
    path("shipments/<uuid:public_id>/", outbound_views.shipment_detail, name="shipment_detail"),
    path("shipments/<uuid:public_id>/recheck/", outbound_views.shipment_recheck, name="shipment_recheck"),
    path("invoices/", outbound_views.invoice_list, name="invoices"),
    path("invoices/<uuid:public_id>/", outbound_views.invoice_detail, name="invoice_detail"),
]
