"""The kit puts the application's cart configuration back after Schemathesis's phases have written to it."""
from conftest import AUTH, FROZEN_NOW
from conformance import run_conformance
from sandbox import Settings, create_app

CONFIG = "/service/platform/cart/v1.0/company/1/application/app-1/cart_configuration"


def test_cart_configuration_is_restored_after_the_engine_phases():
    """Generated creates and updates of the configuration are undone: afterwards it is what it was before."""
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    with app.test_client(headers=AUTH) as client:
        before = client.get(CONFIG).json()
        lines = []
        run = run_conformance(app=app, operation_ids=["createCartMetaConfig", "updateCartMetaConfig"], seed=1,
                              max_examples=5, phases="examples,fuzzing", mode="positive", progress=lines.append,
                              path_params={"company_id": "1", "application_id": "app-1"})
        assert run.ok, [f.message for o in run.failed for f in o.findings]
        assert sum(o.cases for o in run.operations) > 0 and "cart configuration restored" in lines
        assert client.get(CONFIG).json() == before
