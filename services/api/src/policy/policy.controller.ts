import { Body, Controller, Get, Param, Patch, Put } from '@nestjs/common';
import {
  ComponentNameParam,
  PatchPolicyBody,
  PutPolicyBody,
  type AuditActor,
  type ComponentPolicyView,
  type PolicyApplyResult,
  type PolicyView,
} from '@lockstep/contracts';
import { Actor } from '../http/request-actor';
import { ZodPipe } from '../http/zod-validation.pipe';
import { PolicyService } from './policy.service';

/** `/v1/policy`: the update policy in force; applied whole (`policy apply -f`) or one field at a time (`policy set`). */
@Controller('v1/policy')
export class PolicyController {
  constructor(private readonly policy: PolicyService) {}

  @Get()
  get(): Promise<PolicyView> {
    return this.policy.get();
  }

  @Get('components/:name')
  component(@Param('name', new ZodPipe(ComponentNameParam, 'path')) name: string): Promise<ComponentPolicyView> {
    return this.policy.component(name);
  }

  /** Validates, diffs and (unless dryRun or nothing differs) applies a whole policy file. */
  @Put()
  apply(@Body(new ZodPipe(PutPolicyBody)) body: PutPolicyBody, @Actor() actor: AuditActor): Promise<PolicyApplyResult> {
    return this.policy.apply(body, actor);
  }

  /** Sets one field of the policy; the whole result is validated. */
  @Patch()
  set(
    @Body(new ZodPipe(PatchPolicyBody)) body: PatchPolicyBody,
    @Actor() actor: AuditActor,
  ): Promise<PolicyApplyResult> {
    return this.policy.set(body, actor);
  }
}
